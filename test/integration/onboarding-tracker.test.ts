// The batched onboarding tracker against the real stack: one statement per polled batch in
// PostgreSQL, the first enrolment per user winning within a batch and across batches, a
// batch handed over again changing nothing, and a record PostgreSQL refuses in the middle
// of a batch dead-lettered alone while the rest of its batch is recorded.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_REGISTERED_FOR_ONBOARDING, type UserRegisteredForOnboarding } from '../../src/events/user-registered-for-onboarding.js';
import { createKafka } from '../../src/kafka/client.js';
import { DeadLetterHeaders, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createLogger } from '../../src/logger.js';
import { moveGroup } from '../../src/operations/replay.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { consumerGroups } from '../../src/services/catalog.js';
import { enrolmentFor } from '../../src/services/onboarding/enrolment.js';
import { OnboardingStateStore } from '../../src/services/onboarding/tracker-store.js';
import { isolatedConfig } from '../support/api.js';
import { eventually, startServiceUnderTest, type ServiceUnderTest } from '../support/services.js';
import { readAtLeast, readTopic } from '../support/topics.js';

let config: Config;
let pool: Pool;
let store: OnboardingStateStore;

beforeAll(async () => {
  // One partition: every record below lands in one polled batch.
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: '1', CONSUMER_INITIAL_BACKOFF_MS: '50', CONSUMER_MAX_BACKOFF_MS: '200', CONSUMER_MAX_ATTEMPTS: '3' });
  pool = createPool(config.database.url);
  store = new OnboardingStateStore(pool);
  await store.init();
});

afterAll(async () => {
  await pool?.end();
});

/** An enrolment of `userId` from a signup of its own (its own enrolment id), with `plan`. */
const enrolment = (userId: string, plan = 'standard'): UserRegisteredForOnboarding => ({
  ...enrolmentFor({ eventId: randomUUID(), userId, email: 'x@example.com', username: 'tracked', occurredAt: new Date('2026-11-26T12:00:00Z'), locale: null }),
  plan,
});

interface StoredRow {
  readonly user_id: string;
  readonly enrolment_id: string;
  readonly plan: string;
  readonly recorded_at: Date;
}
const rowsOf = async (userIds: readonly string[]) =>
  (await pool.query<StoredRow>('SELECT user_id, enrolment_id, plan, recorded_at FROM onboarding_state WHERE user_id = ANY($1) ORDER BY user_id', [userIds])).rows;

describe('OnboardingStateStore.recordStarted', () => {
  it('keeps the first enrolment of a user within a batch and across batches, and changes nothing when a batch comes again', async () => {
    const twice = randomUUID();
    const first = enrolment(twice, 'first');
    const batch = [first, enrolment(randomUUID()), enrolment(twice, 'second'), enrolment(randomUUID())];
    const recorded = await store.recordStarted(batch);
    expect(recorded).toEqual(new Set([batch[0]!.eventId, batch[1]!.eventId, batch[3]!.eventId]));
    const users = batch.map((e) => e.userId);
    const stored = await rowsOf(users);
    expect(stored).toHaveLength(3);
    expect(stored.find((r) => r.user_id === twice)).toMatchObject({ enrolment_id: first.eventId, plan: 'first' });

    // Redelivered whole, then with the same record twice and a later enrolment of a known user in front.
    expect(await store.recordStarted(batch)).toEqual(new Set());
    expect(await store.recordStarted([enrolment(twice, 'later'), first, first])).toEqual(new Set());
    expect(await rowsOf(users)).toEqual(stored);
  });

  it('records nothing, and touches no table, for an empty batch', async () => {
    expect(await store.recordStarted([])).toEqual(new Set());
  });
});

describe('the onboarding tracker service', () => {
  const topic = () => config.topics.onboarding.name;
  const dlq = () => deadLetterTopic(consumerGroups(config)['onboarding-tracker']);
  const twice = randomUUID();
  const poisoned = randomUUID();
  // A second enrolment of one user in the batch, and in the middle a plan PostgreSQL cannot
  // store (text never holds a NUL byte) that the Avro contract lets through.
  const enrolments = [
    enrolment(randomUUID()),
    enrolment(twice, 'first'),
    enrolment(randomUUID()),
    enrolment(twice, 'second'),
    enrolment(randomUUID()),
    enrolment(poisoned, 'nul\u0000plan'),
    enrolment(randomUUID()),
    enrolment(randomUUID()),
    enrolment(randomUUID()),
  ];
  const goodUsers = [...new Set(enrolments.map((e) => e.userId).filter((id) => id !== poisoned))];
  let tracker: ServiceUnderTest | undefined;
  let recordedBefore: StoredRow[] = [];

  afterAll(async () => {
    await tracker?.stop();
  });

  /** Written as onboarding writes them: in one committed transaction, so that they reach the tracker together. */
  async function publishCommitted(batch: readonly UserRegisteredForOnboarding[]): Promise<void> {
    const kafka = createKafka(config.kafka, createLogger('warn', 'test'));
    const registry = createRegistryClient(config.registry);
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, valueSubject(topic()), loadSchemaHistory(USER_REGISTERED_FOR_ONBOARDING).latest));
    const producer = kafka.producer({ kafkaJS: { transactionalId: `test-tracker-${randomUUID()}`, idempotent: true, acks: -1, maxInFlightRequests: 1 } });
    await producer.connect();
    try {
      const transaction = await producer.transaction();
      await transaction.send({ topic: topic(), messages: await Promise.all(batch.map(async (e) => ({ key: e.userId, value: await serializer.serialize(topic(), e) }))) });
      await transaction.commit();
    } finally {
      await producer.disconnect();
    }
  }

  const handledSoFar = async (service: ServiceUnderTest) =>
    (await service.metrics.getSingleMetric('consumer_records_handled_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
  const outcomesOf = (service: ServiceUnderTest, userId: string) =>
    service.logLines
      .map((l) => JSON.parse(l) as { msg: string; userId?: string; outcome?: string })
      .filter((l) => l.msg === 'onboarding state recorded' && l.userId === userId)
      .map((l) => l.outcome);

  it('records the batch but the poison record, which alone is dead-lettered; the first enrolment of a user wins', async () => {
    await publishCommitted(enrolments); // before the tracker starts
    tracker = await startServiceUnderTest('onboarding-tracker', config);
    await readAtLeast(config.kafka, dlq(), 1);
    await eventually(async () => (await rowsOf(goodUsers)).length === goodUsers.length, async () => `${(await rowsOf(goodUsers)).length} of ${goodUsers.length} users recorded`);

    const letters = await readTopic(config.kafka, dlq(), { readCommitted: true });
    expect(letters.map((l) => l.key)).toEqual([poisoned]);
    expect(letters[0]!.headers[DeadLetterHeaders.attempts]).toBe('3');
    expect(letters[0]!.headers[DeadLetterHeaders.errorMessage]).toMatch(/0x00/);
    expect(await rowsOf([poisoned])).toEqual([]);
    // The poison failed a batch of several records, then was isolated from them.
    const isolated = tracker.logLines.map((l) => JSON.parse(l) as { msg: string; records?: number }).find((l) => l.msg === 'batch failed; handling its records one at a time');
    expect(isolated?.records).toBeGreaterThan(1);
    recordedBefore = await rowsOf(goodUsers);
    expect(recordedBefore.find((r) => r.user_id === twice)).toMatchObject({ enrolment_id: enrolments[1]!.eventId, plan: 'first' });
    expect(outcomesOf(tracker, twice)).toEqual(['recorded', 'duplicate']);
    expect(await handledSoFar(tracker)).toBe(enrolments.length - 1);
  });

  it('changes nothing when the group is moved back and the whole batch is delivered again', async () => {
    expect(recordedBefore).toHaveLength(goodUsers.length);
    await tracker!.stop();
    tracker = undefined;
    const kafka = createKafka(config.kafka, createLogger('warn', 'test'));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await moveGroup(kafka, admin, consumerGroups(config)['onboarding-tracker'], topic(), { kind: 'earliest' });
    } finally {
      await admin.disconnect();
    }

    const replay = (tracker = await startServiceUnderTest('onboarding-tracker', config));
    // The poison record fails again (a replay re-runs every record) and is dead-lettered a second time.
    await readAtLeast(config.kafka, dlq(), 2);
    await eventually(async () => (await handledSoFar(replay)) >= enrolments.length - 1, async () => `${await handledSoFar(replay)} handled again`);

    expect(await rowsOf(goodUsers)).toEqual(recordedBefore);
    for (const userId of goodUsers) expect(new Set(outcomesOf(replay, userId))).toEqual(new Set(['duplicate']));
    expect((await readTopic(config.kafka, dlq(), { readCommitted: true })).map((l) => l.key)).toEqual([poisoned, poisoned]);
  });

  it('keeps the first of two enrolments of a user in a batch that succeeds whole', async () => {
    const running = tracker!;
    const again = randomUUID();
    const batch = [enrolment(randomUUID()), enrolment(again, 'first'), enrolment(randomUUID()), enrolment(again, 'second')];
    const failedBatches = () => running.logLines.filter((l) => l.includes('batch failed; handling its records one at a time')).length;
    const failedBefore = failedBatches();
    await publishCommitted(batch);
    const users = [...new Set(batch.map((e) => e.userId))];
    await eventually(async () => (await rowsOf(users)).length === users.length, async () => `${(await rowsOf(users)).length} of ${users.length} users recorded`);

    expect((await rowsOf([again]))[0]).toMatchObject({ enrolment_id: batch[1]!.eventId, plan: 'first' });
    expect(outcomesOf(running, again)).toEqual(['recorded', 'duplicate']);
    expect(failedBatches()).toBe(failedBefore); // handled as one batch, not record by record
  });
});
