// The one logger factory: structured JSON lines (pino) on stdout. Personal data never
// reaches a log line: any field named `email` is masked wherever it appears.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, service: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: service,
      level,
      base: { pid: process.pid },
      // Error messages can quote addresses (an SMTP rejection names the mailbox).
      serializers: { err: (error: Error) => maskEmailsInError(pino.stdSerializers.err(error)) },
      redact: {
        paths: ['email', '*.email', '*.*.email'],
        censor: (value) => (typeof value === 'string' ? maskEmail(value) : '[redacted]'),
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** `alice@example.com` → `a***@example.com`: enough to tell users apart in a log, not to mail them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

const ADDRESS = /[^\s<>"'(),;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Masks every email address inside free text. */
export function maskEmailsIn(text: string): string {
  return text.replace(ADDRESS, (address) => maskEmail(address));
}

function maskEmailsInError<T extends { message?: string; stack?: string }>(serialized: T): T {
  return {
    ...serialized,
    ...(serialized.message ? { message: maskEmailsIn(serialized.message) } : {}),
    ...(serialized.stack ? { stack: maskEmailsIn(serialized.stack) } : {}),
  };
}
