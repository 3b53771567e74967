// email: sends each new user one welcome email over SMTP. Own consumer group; at-least-once
// delivery made once per user in effect by the ledger.
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
              // No cause: the SMTP error's own message may name the recipient, which logs must not.
              // eslint-disable-next-line preserve-caught-error
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
