// email: sends each new user one welcome email over SMTP. Own consumer group; at-least-once
// delivery made once per user in effect by the ledger.
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import { maskEmail, maskEmailsIn } from '../../logger.js';
import { DependencyUnavailableError, PoisonRecordError } from '../../kafka/consumer/errors.js';
import { smtpFault } from '../../kafka/consumer/failure-classification.js';
import type { BatchConsumerService, DecodedRecord } from '../../kafka/consumer/service.js';
import type { WelcomeEmailLedger } from './ledger.js';
import { sendComposed } from './smtp-send.js';
import { WelcomeMailComposer, type ComposedMail } from './welcome-mail.js';
import { welcomeMessageId } from './welcome-message.js';

export interface EmailServiceOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly ledger: WelcomeEmailLedger;
  readonly mailer: Transporter;
  readonly from: string;
  /**
   * Welcome emails one batch sends at once (to distinct users), one round per ledger
   * transaction. The wiring keeps the rounds of all partitions handled at once within the
   * pooled SMTP connections, so that no send waits for a connection while its user is locked.
   */
  readonly sendsAtOnce: number;
}

export function createMailer(smtpUrl: string, options: { readonly requireTls?: boolean; readonly maxConnections?: number } = {}): Transporter {
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
    // Reused connections instead of a new SMTP handshake per email; several, because SMTP
    // sends one message at a time per connection and waits for each reply.
    pool: true,
    maxConnections: options.maxConnections ?? 1,
    // A fresh connection now and then: providers commonly cap the messages per connection.
    maxMessages: 100,
    // Bounded: a mail server that hangs fails the attempt, and the runtime retries later.
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10_000,
  } as SMTPPool.Options);
}

export function emailService(options: EmailServiceOptions): BatchConsumerService<UserSignedUp> {
  const { ledger, mailer, sendsAtOnce } = options;
  const composer = new WelcomeMailComposer(options.from);

  async function send(mail: ComposedMail): Promise<void> {
    try {
      await sendComposed(mailer, mail);
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
  }

  /** One round: up to `sendsAtOnce` distinct users in one ledger transaction, their emails sent concurrently. */
  async function sendRound(round: readonly DecodedRecord<UserSignedUp>[]): Promise<void> {
    const users = new Map(round.map(({ event }) => [event.userId, event]));
    const outcomes = await ledger.sendEach(
      round.map(({ event }) => ({ userId: event.userId, eventId: event.eventId, messageId: welcomeMessageId(event.userId) })),
      async (entry) => send(await composer.compose(users.get(entry.userId)!)),
    );
    const failures: unknown[] = [];
    outcomes.forEach((outcome, i) => {
      const { event, context } = round[i]!;
      if (outcome.kind === 'failed') failures.push(outcome.error);
      else if (outcome.kind === 'already-sent') context.logger.info({ userId: event.userId }, 'welcome email already sent; skipping');
      else context.logger.info({ userId: event.userId, email: maskEmail(event.email), messageId: welcomeMessageId(event.userId) }, 'welcome email sent');
    });
    if (failures.length === 0) return;
    // A dependency outage makes the whole batch wait (the users sent to are skipped on the
    // retry); any other failure makes the runtime hand the records over one at a time, so
    // that each failing one is retried or dead-lettered alone.
    throw failures.find((error) => error instanceof DependencyUnavailableError) ?? failures[0];
  }

  return {
    name: 'email',
    groupId: options.groupId,
    topic: options.topic,
    readerSchema: options.readerSchema,
    async handleBatch(records) {
      // A user's first record in the batch is the one that may send; the user's later ones
      // come after it, in order, and find the email sent. Different users go concurrently.
      const firsts = new Map<string, DecodedRecord<UserSignedUp>>();
      const repeats: DecodedRecord<UserSignedUp>[] = [];
      for (const record of records) {
        if (firsts.has(record.event.userId)) repeats.push(record);
        else firsts.set(record.event.userId, record);
      }
      const users = [...firsts.values()];
      for (let start = 0; start < users.length; start += sendsAtOnce) await sendRound(users.slice(start, start + sendsAtOnce));
      for (const { event, context } of repeats) context.logger.info({ userId: event.userId }, 'welcome email already sent; skipping');
    },
  };
}
