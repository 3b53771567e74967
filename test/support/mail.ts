// Reads what the local SMTP sink received (one .eml file per message).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReceivedMail {
  readonly file: string;
  readonly to: string;
  readonly messageId: string;
  readonly subject: string;
  readonly raw: string;
}

export function mailDir(): string {
  const fromEnv = process.env.SMTP_SINK_DIR;
  if (fromEnv) return fromEnv;
  const envFile = fileURLToPath(new URL('../../.stack/env', import.meta.url));
  if (existsSync(envFile)) {
    const match = /^SMTP_SINK_DIR=(.*)$/m.exec(readFileSync(envFile, 'utf8'));
    if (match) return match[1]!;
  }
  throw new Error('SMTP_SINK_DIR unknown: run scripts/stack up');
}

/** Messages received since `since` (ms), addressed to any of `recipients` when given. */
export function receivedMail(since: number, recipients?: ReadonlySet<string>): ReceivedMail[] {
  const dir = mailDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => join(dir, f))
    .filter((file) => statSync(file).mtimeMs >= since - 1000)
    .map((file) => {
      const raw = readFileSync(file, 'utf8');
      const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
      const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
      return { file, to: header('X-Sink-Rcpt-To'), messageId: header('Message-ID'), subject: header('Subject'), raw };
    })
    .filter((mail) => !recipients || recipients.has(mail.to));
}
