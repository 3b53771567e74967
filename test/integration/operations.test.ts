// The operations tools against the real stack: replay refuses a live group and moves an
// idle one; a mail server that is down or refuses our credentials is waited out (never
// dead-lettered); a mailbox refused for good is dead-lettered, and re-publishing it twice
// later sends the email exactly once.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../src/config.js';
import { consumerGroups, serviceClientId } from '../../src/services/catalog.js';
import { DeadLetterHeaders, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { groupLag } from '../../src/kafka/group-lag.js';
import { readDeadLetters, republish } from '../../src/operations/dead-letters.js';
import { groupProgress, moveGroup, ReplayRefusedError, requireIdleGroup } from '../../src/operations/replay.js';
import { createPool } from '../../src/db/pool.js';
import { eventCatalog, topicCatalog } from '../../src/events/catalog.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registerSchemas } from '../../src/registry/register-schemas.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { isolatedConfig, stack, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { mailDir, receivedMail } from '../support/mail.js';
import { eventually, startServiceUnderTest, type ServiceUnderTest } from '../support/services.js';
import { sleep } from '../support/sleep.js';

let config: Config;
let api: ApiUnderTest;
let admin: KafkaJS.Admin;
let email: ServiceUnderTest | undefined;

async function signup(address: string) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/signup',
    headers: { 'content-type': 'application/json' },
    payload: { email: address, username: 'ops_user' },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ userId: string; eventId: string }>();
}

beforeAll(async () => {
  config = await isolatedConfig({ CONSUMER_MAX_ATTEMPTS: '3', CONSUMER_INITIAL_BACKOFF_MS: '200', CONSUMER_MAX_BACKOFF_MS: '800' });
  api = await startApiUnderTest(config);
  admin = api.kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await stack('start', 'smtp');
  await email?.stop();
  await admin?.disconnect();
  await api?.stop();
});

describe('replay', () => {
  it('refuses while the group has a live member, and moves the idle group to the earliest offset', async () => {
    const since = Date.now();
    const address = `replay-${randomUUID().slice(0, 8)}@example.com`;
    await signup(address);
    email = await startServiceUnderTest('email', config);
    await eventually(() => receivedMail(since, new Set([address])).length === 1, () => 'the first email');
    const group = consumerGroups(config).email;

    await expect(requireIdleGroup(admin, group)).rejects.toThrow(ReplayRefusedError);
    // The member is named by the service's own client id.
    await expect(requireIdleGroup(admin, group)).rejects.toThrow(`has 1 live member(s) (${serviceClientId(config, 'email')}@`);

    await email.stop();
    email = undefined;
    await requireIdleGroup(admin, group);
    const positions = await moveGroup(api.kafka, admin, group, config.topics.signups.name, { kind: 'earliest' });
    expect([...positions.values()].every((offset) => offset === '0')).toBe(true);
    const before = await groupProgress(admin, config.kafka, group, config.topics.signups.name, positions);
    expect(before).toEqual({ processed: 0n, total: 1n });

    email = await startServiceUnderTest('email', config);
    await eventually(
      async () => (await groupProgress(admin, config.kafka, group, config.topics.signups.name, positions)).processed === 1n,
      async () => JSON.stringify(await groupProgress(admin, config.kafka, group, config.topics.signups.name, positions), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
    expect(email.logLines.some((l) => l.includes('welcome email already sent'))).toBe(true);
    expect(receivedMail(since, new Set([address]))).toHaveLength(1);
  });
});

describe('mail server failures', () => {
  const sinkSwitch = (name: '.refuse-sender' | '.refuse-recipients') => join(mailDir(), name);
  const warnings = () => email!.logLines.filter((l) => !l.startsWith('{"level":30')).join('\n').slice(-2000);
  const retriesOf = (eventId: string) => email!.logLines.filter((l) => l.includes('retrying after back-off') && l.includes(eventId)).length;

  it('down: waits, retrying past the attempts bound without dead-lettering, and sends once when it returns', async () => {
    const since = Date.now();
    const address = `smtp-down-${randomUUID().slice(0, 8)}@example.com`;
    await stack('stop', 'smtp');
    try {
      const { eventId } = await signup(address);
      // CONSUMER_MAX_ATTEMPTS is 3 here: a failure that counted as the record's would be dead-lettered by now.
      await eventually(() => retriesOf(eventId) >= 4, () => `retries so far: ${retriesOf(eventId)}; ${warnings()}`);
    } finally {
      await stack('start', 'smtp');
    }
    await eventually(() => receivedMail(since, new Set([address])).length === 1, () => 'the email once the server is back', 60_000);
    expect(await readDeadLetters(config.kafka, admin, deadLetterTopic(consumerGroups(config).email))).toEqual([]);
  });

  it('refusing our credentials (535): waits the same way, and sends once they are accepted again', async () => {
    const since = Date.now();
    const address = `smtp-auth-${randomUUID().slice(0, 8)}@example.com`;
    writeFileSync(sinkSwitch('.refuse-sender'), '');
    try {
      const { eventId } = await signup(address);
      await eventually(() => retriesOf(eventId) >= 4, () => `retries so far: ${retriesOf(eventId)}; ${warnings()}`);
      expect(email!.logLines.some((l) => l.includes(eventId) && l.includes('mail server unavailable') && l.includes('535'))).toBe(true);
    } finally {
      rmSync(sinkSwitch('.refuse-sender'), { force: true });
    }
    await eventually(() => receivedMail(since, new Set([address])).length === 1, () => 'the email once the credentials work', 60_000);
    expect(await readDeadLetters(config.kafka, admin, deadLetterTopic(consumerGroups(config).email))).toEqual([]);
  });

  it('refusing the mailbox for good (550): dead-letters at once; re-published twice once fixed, one email', async () => {
    const since = Date.now();
    const address = `smtp-nobody-${randomUUID().slice(0, 8)}@example.com`;
    const group = consumerGroups(config).email;
    writeFileSync(sinkSwitch('.refuse-recipients'), '');
    try {
      await signup(address);
      await eventually(async () => (await readDeadLetters(config.kafka, admin, deadLetterTopic(group))).length === 1, () => `the email dead-lettered; ${warnings()}`);
    } finally {
      rmSync(sinkSwitch('.refuse-recipients'), { force: true });
    }
    const [letter] = await readDeadLetters(config.kafka, admin, deadLetterTopic(group));
    expect(letter!.headers[DeadLetterHeaders.attempts]).toBe('1');
    expect(letter!.headers[DeadLetterHeaders.errorType]).toBe('PoisonRecordError');
    expect(letter!.headers[DeadLetterHeaders.errorMessage]).toMatch(/mail server refused the welcome email/);
    expect(letter!.headers[DeadLetterHeaders.errorMessage]).not.toContain(address);
    expect(receivedMail(since, new Set([address]))).toHaveLength(0);

    const producer = createIdempotentProducer(api.kafka, { lingerMs: 1, deliveryTimeoutMs: 5000 });
    await producer.connect();
    await republish(producer, deadLetterTopic(group), [letter!]);
    await republish(producer, deadLetterTopic(group), [letter!]); // an operator's double click
    await producer.disconnect();
    await eventually(() => receivedMail(since, new Set([address])).length === 1, () => 'the re-published email');
    await sleep(1000);
    expect(receivedMail(since, new Set([address]))).toHaveLength(1);
  });
});

describe('tools on a transactional topic (commit markers take offsets no reader receives)', () => {
  it('list its dead letters (committed ones only), and see a group that read everything as done', async () => {
    const onboardingDlq = deadLetterTopic(consumerGroups(config).onboarding);
    const topic = config.topics.onboarding.name;
    const producer = api.kafka.producer({ kafkaJS: { transactionalId: `ops-test-${randomUUID()}`, idempotent: true, acks: -1, maxInFlightRequests: 1 } });
    await producer.connect();
    const write = async (target: string, keys: string[], outcome: 'commit' | 'abort') => {
      const transaction = await producer.transaction();
      await transaction.send({ topic: target, messages: keys.map((key) => ({ key, value: key, partition: 0, headers: { [DeadLetterHeaders.sourceTopic]: config.topics.signups.name } })) });
      await (outcome === 'commit' ? transaction.commit() : transaction.abort());
    };
    try {
      await write(onboardingDlq, ['letter-1', 'letter-2'], 'commit');
      await write(onboardingDlq, ['aborted-letter'], 'abort');
      await write(topic, ['u1', 'u2', 'u3'], 'commit');
      await write(topic, ['aborted'], 'abort');
    } finally {
      await producer.disconnect();
    }

    const started = Date.now();
    const letters = await readDeadLetters(config.kafka, admin, onboardingDlq, 10_000);
    expect(letters.map((l) => l.key?.toString())).toEqual(['letter-1', 'letter-2']);
    expect(Date.now() - started).toBeLessThan(10_000);

    // A read_committed group that has received every committed record: its committed offset
    // stops before the last commit marker.
    const group = `${config.consumers.groupPrefix}ops-reader`;
    const reader = api.kafka.consumer({ kafkaJS: { groupId: group, fromBeginning: true, readUncommitted: false, autoCommit: true, autoCommitInterval: 200 } });
    await reader.connect();
    const received: string[] = [];
    try {
      await reader.subscribe({ topics: [topic] });
      void reader.run({ eachMessage: async ({ message }) => void received.push(message.key!.toString()) });
      await eventually(() => received.length === 3, () => `received ${received.join(',')}`);
      await sleep(1000); // the auto-commit
    } finally {
      await reader.disconnect();
    }
    const [end] = await admin.fetchTopicOffsets(topic, { isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED }).then((w) => w.filter((p) => p.partition === 0));
    const [committed] = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.filter((p) => p.partition === 0);
    expect(BigInt(end!.high) - BigInt(committed!.offset)).toBeGreaterThan(0n); // the marker
    const progress = await groupProgress(admin, config.kafka, group, topic, new Map([[0, '0']]));
    expect(progress.processed).toBe(progress.total);
    const lags = await groupLag(admin, config.kafka, group, topic, { timeoutMs: 10_000 });
    expect(lags.every((p) => p.lag === 0n)).toBe(true);
  });
});

describe('a dead letter that cannot be written', () => {
  it('holds its partition (nothing is skipped) until the dead-letter topic can take it', async () => {
    const prefix = `${config.consumers.groupPrefix}nodlq.`;
    const schema = `${config.analytics.dbSchema}_nodlq`;
    const cfg: Config = {
      ...config,
      kafka: { ...config.kafka, produceTimeoutMs: 1000 },
      consumers: { ...config.consumers, groupPrefix: prefix },
      analytics: { dbSchema: schema },
    };
    const analytics = await startServiceUnderTest('analytics', cfg);
    const pool = createPool(cfg.database.url);
    try {
      const producer = createIdempotentProducer(api.kafka, { lingerMs: 1, deliveryTimeoutMs: 5000 });
      await producer.connect();
      // Same key, so the poison record and the next signup share a partition, in that order.
      const userId = randomUUID();
      await producer.send({ topic: cfg.topics.signups.name, messages: [{ key: userId, value: Buffer.from('poison') }] });
      await producer.disconnect();
      const { userId: blockedUser } = await signupWithKey(userId);
      await eventually(() => analytics.logLines.some((l) => l.includes('cannot dead-letter the record')), () => 'the failed dead-letter attempt');
      const counted = async () => (await pool.query(`SELECT 1 FROM ${schema}.counted_users WHERE user_id = $1`, [blockedUser])).rowCount === 1;
      expect(await counted()).toBe(false);

      const admin2 = api.kafka.admin();
      await admin2.connect();
      await registerSchemas({ registry: createRegistryClient(cfg.registry), admin: admin2, catalog: eventCatalog(cfg), topics: topicCatalog(cfg) });
      await admin2.disconnect();
      await eventually(counted, () => 'the signup behind the poison record counted once the DLQ exists', 60_000);
      // Analytics reads the enrolment topic too, where an earlier test wrote records that are not Avro.
      const letters = (await readDeadLetters(config.kafka, admin, deadLetterTopic(`${prefix}analytics`))).filter(
        (l) => l.headers[DeadLetterHeaders.sourceTopic] === cfg.topics.signups.name,
      );
      expect(letters.map((l) => l.value?.toString())).toEqual(['poison']);
    } finally {
      await analytics.stop();
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    }
  });
});

/** A signup whose user id is chosen by the test, written the way the API writes it. */
async function signupWithKey(userId: string): Promise<{ userId: string }> {
  const registry = createRegistryClient(config.registry);
  const topic = config.topics.signups.name;
  const serializer = createValueSerializer(registry, await registeredSchemaId(registry, `${topic}-value`, loadSchemaHistory(USER_SIGNED_UP).latest));
  const producer = createIdempotentProducer(api.kafka, { lingerMs: 1, deliveryTimeoutMs: 5000 });
  await producer.connect();
  const event = { eventId: randomUUID(), userId, email: 'blocked@example.com', username: 'blocked', occurredAt: new Date(), locale: null };
  await producer.send({ topic, messages: [{ key: userId, value: await serializer.serialize(topic, event) }] });
  await producer.disconnect();
  return { userId };
}
