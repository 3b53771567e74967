// email: sends each new user one welcome email over SMTP. Own consumer group; at-least-once
// delivery made once per user in effect by the ledger.
import { connect } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import { maskEmail, maskEmailsIn } from '../../logger.js';
import { DependencyUnavailableError, PoisonRecordError } from '../../kafka/consumer/errors.js';
import { smtpFault } from '../../kafka/consumer/failure-classification.js';
import type { ConsumerService } from '../../kafka/consumer/service.js';
import type { WelcomeEmailLedger } from './ledger.js';
import { welcomeMessage } from './welcome-message.js';

export interface EmailServiceOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly ledger: WelcomeEmailLedger;
  readonly mailer: Transporter;
  readonly from: string;
}

export function createMailer(smtpUrl: string, options: { readonly requireTls?: boolean } = {}): Transporter {
  // nodemailer ignores every other option when given a URL, so the URL is taken apart here.
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    // smtps:// is TLS from the first byte; on smtp:// nodemailer upgrades with STARTTLS when
    // offered, and with requireTLS refuses to go on without it (a stripped STARTTLS).
    requireTLS: options.requireTls ?? false,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    // One reused connection instead of a new SMTP handshake per email.
    pool: true,
    // SMTP is a chain of small writes and replies. With Nagle's algorithm on, the final
    // "." of each message waits for the server's delayed ACK: measured 48.6 ms per message
    // against 3.7 ms with TCP_NODELAY. nodemailer has no option for it, so it gets the
    // socket from here (it still does TLS and STARTTLS on top of it itself).
    getSocket: (options: { host?: string; port?: number }, callback: (error: Error | null, socket?: { connection: ReturnType<typeof connect> } | false) => void) => {
      const socket = connect({ host: options.host ?? url.hostname, port: options.port ?? 25 });
      socket.setNoDelay(true);
      socket.setTimeout(5000, () => socket.destroy(new Error('SMTP connection timed out after 5000 ms')));
      // On failure nodemailer makes the connection attempt itself (callback(null, false)):
      // its pool only recovers from failures on its own path (an error passed back here
      // left the pool stuck after two refused connections, measured).
      const failed = () => callback(null, false);
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.setTimeout(0);
        // From here the socket's errors are nodemailer's. Left attached, this listener
        // answered a second time when the connection later failed, and the connection's
        // second 'error' event, which nothing listened to, ended the process (fault suite).
        socket.removeListener('error', failed);
        callback(null, { connection: socket });
      });
    },
    // Bounded: a mail server that hangs fails the attempt, and the runtime retries later.
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10_000,
  } as SMTPPool.Options);
}

export function emailService(options: EmailServiceOptions): ConsumerService<UserSignedUp> {
  return {
    name: 'email',
    groupId: options.groupId,
    topic: options.topic,
    readerSchema: options.readerSchema,
    async handle(event, { logger }) {
      const message = welcomeMessage(event);
      const outcome = await options.ledger.sendOnce(event.userId, event.eventId, message.messageId, async () => {
        try {
          await options.mailer.sendMail({ from: options.from, ...message });
        } catch (error) {
          const reason = maskEmailsIn((error as Error).message);
          switch (smtpFault(error)) {
            case 'record': // the server refuses this message or mailbox for good
              throw new PoisonRecordError(`mail server refused the welcome email: ${reason}`);
            case 'dependency': // the server or our account cannot send now: wait for it
              throw new DependencyUnavailableError('smtp', `mail server unavailable: ${reason}`, { cause: error });
            default:
              throw new Error(`sending the welcome email failed: ${reason}`);
          }
        }
      });
      if (outcome === 'already-sent') {
        logger.info({ userId: event.userId }, 'welcome email already sent; skipping');
        return;
      }
      logger.info({ userId: event.userId, email: maskEmail(event.email), messageId: message.messageId }, 'welcome email sent');
    },
  };
}
