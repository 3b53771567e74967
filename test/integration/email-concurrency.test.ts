// The email service sends a batch's users concurrently: against the real Kafka, PostgreSQL
// and SMTP servers, a user's records stay in order (the first one sends, the later ones
// find it sent), two groups racing on the same users at once send one email per user, a
// redelivery of everything sends nothing new, and a mailbox refused for good
// dead-letters only its own record while the rest of its batch is sent once.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { DeadLetterHeaders, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createLogger } from '../../src/logger.js';
import { moveGroup } from '../../src/operations/replay.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { consumerGroups } from '../../src/services/catalog.js';
import { isolatedConfig, registerCatalog } from '../support/api.js';
import { receivedMail } from '../support/mail.js';
import { eventually, startServiceUnderTest, type ServiceUnderTest } from '../support/services.js';
import { sleep } from '../support/sleep.js';
import { readAtLeast } from '../support/topics.js';

const logger = createLogger('warn', 'test');
let config: Config;
let pool: Pool;

beforeAll(async () => {
  // Small rounds, so that a batch takes several ledger transactions and several connections.
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: '2', SMTP_MAX_CONNECTIONS: '4', CONSUMER_INITIAL_BACKOFF_MS: '100', CONSUMER_MAX_BACKOFF_MS: '400', CONSUMER_MAX_ATTEMPTS: '3' });
  pool = createPool(config.database.url);
});

afterAll(async () => {
  await pool?.end();
});

/** A config whose consumer groups are other ones (their dead-letter topics created), on the same topic and ledger. */
async function withGroupPrefix(base: Config, prefix: string, overrides: Partial<Config> = {}): Promise<Config> {
  const other: Config = { ...base, ...overrides, consumers: { ...base.consumers, groupPrefix: `${base.consumers.groupPrefix}${prefix}.` } };
  await registerCatalog(other);
  return other;
}

/** Writes the events in one request, keyed by user id as the API does: they arrive as batches. */
async function produce(events: readonly UserSignedUp[]): Promise<void> {
  const topic = config.topics.signups.name;
  const registry = createRegistryClient(config.registry);
  const serializer = createValueSerializer(registry, await registeredSchemaId(registry, valueSubject(topic), loadSchemaHistory(USER_SIGNED_UP).latest));
  const producer = createKafka(config.kafka, logger).producer({ kafkaJS: { idempotent: true, acks: -1 } });
  await producer.connect();
  try {
    await producer.send({ topic, messages: await Promise.all(events.map(async (e) => ({ key: e.userId, value: await serializer.serialize(topic, e) }))) });
  } finally {
    await producer.disconnect();
  }
}

const signupOf = (userId: string, email: string, username: string): UserSignedUp => ({ eventId: randomUUID(), userId, email, username, occurredAt: new Date(), locale: null });

describe('the email service sending concurrently', () => {
  it('keeps each user in order and sends one email per user, with two groups racing on the same users and after a redelivery', async () => {
    const since = Date.now();
    const run = randomUUID().slice(0, 8);
    const users = Array.from({ length: 40 }, (_, i) => ({ userId: randomUUID(), email: `conc-${run}-${i}@example.com` }));
    // Every fourth user signs up three times, under a new name each time, the repeats spread
    // through the batch: only the first name may ever be greeted.
    const events: UserSignedUp[] = users.map((u, i) => signupOf(u.userId, u.email, `first_${i}`));
    for (const round of [2, 3]) {
      users.forEach((u, i) => {
        if (i % 4 === 0) events.splice(Math.min(events.length, i * round + round), 0, signupOf(u.userId, u.email, `again${round}_${i}`));
      });
    }
    const firstEventOf = new Map<string, UserSignedUp>();
    for (const event of events) if (!firstEventOf.has(event.userId)) firstEventOf.set(event.userId, event);
    const addresses = new Set(users.map((u) => u.email));

    const racing = await withGroupPrefix(config, 'racing');
    const instances: ServiceUnderTest[] = [];
    try {
      // Both groups read every record and share the one ledger: each user is handled by
      // two instances at about the same time.
      instances.push(...(await Promise.all([startServiceUnderTest('email', config), startServiceUnderTest('email', racing)])));
      await produce(events);
      const mailed = () => new Set(receivedMail(since, addresses).map((m) => m.to)).size;
      await eventually(() => mailed() === users.length, () => `${mailed()} of ${users.length} users emailed`);
      const handledBoth = () => instances.every((s) => s.logLines.filter((l) => l.includes('"welcome email ')).length >= events.length);
      await eventually(handledBoth, () => `records handled: ${instances.map((s) => s.logLines.filter((l) => l.includes('"welcome email ')).length).join(', ')} of ${events.length} each`);

      const mails = receivedMail(since, addresses);
      expect(mails).toHaveLength(users.length);
      for (const mail of mails) {
        const user = users.find((u) => u.email === mail.to)!;
        expect(mail.subject).toBe(`Welcome, ${firstEventOf.get(user.userId)!.username}!`);
        expect(mail.messageId).toBe(`<welcome.${user.userId}@signup-pipeline.invalid>`);
      }
      const { rows } = await pool.query<{ user_id: string; event_id: string; status: string }>(
        `SELECT user_id, event_id, status FROM welcome_emails WHERE user_id = ANY($1::uuid[])`,
        [users.map((u) => u.userId)],
      );
      expect(rows).toHaveLength(users.length);
      for (const row of rows) expect(row).toMatchObject({ status: 'sent', event_id: firstEventOf.get(row.user_id)!.eventId });
      // Both groups logged a line per record: the sends and the skips add up to one per user.
      const sentLines = instances.flatMap((s) => s.logLines.filter((l) => l.includes('"welcome email sent"')));
      expect(sentLines).toHaveLength(users.length);

      // Redelivery: the first group starts over from the beginning and sends nothing new.
      await instances[0]!.stop();
      instances.shift();
      const kafka = createKafka(config.kafka, logger);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await moveGroup(kafka, admin, consumerGroups(config).email, config.topics.signups.name, { kind: 'earliest' });
      } finally {
        await admin.disconnect();
      }
      const replay = await startServiceUnderTest('email', config);
      instances.push(replay);
      const skipped = () => replay.logLines.filter((l) => l.includes('welcome email already sent')).length;
      await eventually(() => skipped() >= events.length, () => `${skipped()} of ${events.length} records replayed`);
      expect(replay.logLines.filter((l) => l.includes('"welcome email sent"'))).toEqual([]);
      await sleep(500);
      expect(receivedMail(since, addresses)).toHaveLength(users.length);
    } finally {
      for (const instance of instances) await instance.stop();
    }
  });

  it('dead-letters only the record whose mailbox is refused for good; the rest of its batch is sent once', async () => {
    // A mail server of the test's own that refuses one mailbox (550) and keeps what it accepts.
    const received: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('refused-')) return callback(Object.assign(new Error('5.1.1 No such mailbox here'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push(...session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    const own = await withGroupPrefix(config, 'refusal', { mail: { ...config.mail, smtpUrl: `smtp://127.0.0.1:${port}` } });
    const run = randomUUID().slice(0, 8);
    const refused = signupOf(randomUUID(), `refused-${run}@example.com`, 'refused');
    const others = Array.from({ length: 12 }, (_, i) => signupOf(randomUUID(), `kept-${run}-${i}@example.com`, `kept_${i}`));
    const service = await startServiceUnderTest('email', own);
    try {
      await produce([...others.slice(0, 6), refused, ...others.slice(6)]);
      const letters = await readAtLeast(own.kafka, deadLetterTopic(consumerGroups(own).email), 1);
      expect(letters.map((l) => l.key)).toEqual([refused.userId]);
      expect(letters[0]!.headers[DeadLetterHeaders.errorType]).toBe('PoisonRecordError');
      expect(letters[0]!.headers[DeadLetterHeaders.attempts]).toBe('1');
      await eventually(() => others.every((e) => received.includes(e.email)), () => `${received.length} of ${others.length} sent`);
      await sleep(500);
      expect(received.toSorted()).toEqual(others.map((e) => e.email).toSorted());
    } finally {
      await service.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
