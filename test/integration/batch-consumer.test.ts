// Batch handling against the real stack: the analytics store's one-statement batch write in
// PostgreSQL, and the consumer runtime's batch mode on a real topic (a failing record is
// isolated, retried, dead-lettered; the rest of its batch is handled exactly once).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { DeadLetterHeaders, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { runConsumer } from '../../src/kafka/consumer/runtime.js';
import type { BatchConsumerService } from '../../src/kafka/consumer/service.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { AnalyticsStore, type SignupFacts } from '../../src/services/analytics/store.js';
import { moveGroup } from '../../src/operations/replay.js';
import { isolatedConfig } from '../support/api.js';
import { readAtLeast } from '../support/topics.js';
import { eventually } from '../support/services.js';

let config: Config;
let pool: Pool;
let store: AnalyticsStore;

beforeAll(async () => {
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: '1', CONSUMER_INITIAL_BACKOFF_MS: '50', CONSUMER_MAX_BACKOFF_MS: '200', CONSUMER_MAX_ATTEMPTS: '3' });
  pool = createPool(config.database.url);
  store = new AnalyticsStore(pool, config.analytics.dbSchema);
  await store.init();
});

afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
  await pool?.end();
});

const facts = (domain: string, occurredAt: string, userId: string = randomUUID()): SignupFacts => ({ userId, eventId: randomUUID(), occurredAt: new Date(occurredAt), emailDomain: domain });
const position = (partition: number, nextOffset: string) => ({ groupId: 'g', topic: 't', partition, nextOffset });

describe('AnalyticsStore.recordBatch', () => {
  it('counts each user once, within a batch and across batches, and keeps the aggregates consistent', async () => {
    await store.clear();
    const twice = facts('a.example', '2026-01-01T10:15:00Z');
    const first = [twice, { ...twice, eventId: randomUUID() }, facts('a.example', '2026-01-01T10:59:59Z'), facts('b.example', '2026-01-01T11:00:00Z')];
    // A user twice in one batch is counted once, and neither record is a user counted before.
    expect(await store.recordBatch(first, position(0, '4'))).toEqual(new Set());
    // A replay of the same batch and one new user from the next batch.
    const again = await store.recordBatch([...first, facts('b.example', '2026-01-02T00:00:00Z')], position(0, '9'));
    expect(again).toEqual(new Set(first.map((f) => f.userId)));

    expect(await store.counts()).toEqual({
      total: 4,
      byDay: { '2026-01-01': 3, '2026-01-02': 1 },
      byHour: { '2026-01-01T10:00Z': 2, '2026-01-01T11:00Z': 1, '2026-01-02T00:00Z': 1 },
      byDomain: { 'a.example': 2, 'b.example': 2 },
    });
    expect(await store.positions('g', 't', [0, 1])).toEqual(new Map([[0, '9'], [1, '-2']]));
  });

  it('keeps each signup\'s time to the millisecond, in the hour and the day it fell in', async () => {
    await store.clear();
    const lastOfDay = facts('a.example', '2026-01-01T23:59:59.999Z');
    const firstOfNext = facts('a.example', '2026-01-02T00:00:00.001Z');
    await store.recordBatch([lastOfDay, firstOfNext], position(0, '2'));
    const { rows } = await pool.query<{ user_id: string; occurred_at: Date }>(`SELECT user_id, occurred_at FROM ${config.analytics.dbSchema}.counted_users`);
    expect(new Map(rows.map((r) => [r.user_id, r.occurred_at.toISOString()]))).toEqual(
      new Map([
        [lastOfDay.userId, '2026-01-01T23:59:59.999Z'],
        [firstOfNext.userId, '2026-01-02T00:00:00.001Z'],
      ]),
    );
    const counts = await store.counts();
    expect(counts.byDay).toEqual({ '2026-01-01': 1, '2026-01-02': 1 });
    expect(counts.byHour).toEqual({ '2026-01-01T23:00Z': 1, '2026-01-02T00:00Z': 1 });
  });

  it('saves the position of a batch with nothing to count', async () => {
    await store.recordBatch([], position(3, '42'));
    expect((await store.positions('g', 't', [3])).get(3)).toBe('42');
  });

  it('lets concurrent batches of different partitions update the same rows without deadlock or lost counts', async () => {
    await store.clear();
    const domains = ['a.example', 'b.example', 'c.example', 'd.example'];
    const batch = (partition: number, round: number) =>
      store.recordBatch(
        // Each partition walks the domains in a different order: the store must lock in key order.
        Array.from({ length: 40 }, (_, i) => facts(domains[(i + partition) % domains.length]!, `2026-01-01T${String(10 + (i % 3)).padStart(2, '0')}:00:00Z`)),
        position(partition, String((round + 1) * 40)),
      );
    for (let round = 0; round < 10; round++) await Promise.all([0, 1, 2, 3].map((partition) => batch(partition, round)));
    const counts = await store.counts();
    expect(counts.total).toBe(4 * 10 * 40);
    expect(Object.values(counts.byDomain).reduce((a, b) => a + b, 0)).toBe(1600);
    expect(Object.values(counts.byHour).reduce((a, b) => a + b, 0)).toBe(1600);
  });
});

describe('the runtime in batch mode', () => {
  it('isolates a record that fails, retries it, dead-letters it after the bound and handles the rest of its batch once', async () => {
    const topic = config.topics.signups.name;
    const groupId = `${config.consumers.groupPrefix}batch-probe`;
    const logger = createLogger('warn', 'test');
    const kafka = createKafka(config.kafka, logger);
    const registry = createRegistryClient(config.registry);
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, valueSubject(topic), loadSchemaHistory(USER_SIGNED_UP).latest));

    const cursed = randomUUID();
    const events = Array.from({ length: 30 }, (_, i) => ({
      eventId: randomUUID(),
      userId: i === 12 ? cursed : randomUUID(),
      email: `batch${i}@example.com`,
      username: `batch${i}`,
      occurredAt: new Date(),
      locale: null,
    }));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: deadLetterTopic(groupId), numPartitions: 1, replicationFactor: config.topics.replicationFactor }] });
    await admin.disconnect();
    const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
    await producer.connect();
    const messages: Array<{ key: string; value: Buffer }> = await Promise.all(events.map(async (e) => ({ key: e.userId, value: await serializer.serialize(topic, e) })));
    // Garbage in the middle: dead-lettered at decoding, before the batch is handed over.
    messages.splice(20, 0, { key: 'garbage', value: Buffer.from('not avro') });
    await producer.send({ topic, messages });
    await producer.disconnect();

    // A service that, like analytics, writes a whole batch or nothing.
    const handled: string[] = [];
    const batchSizes: number[] = [];
    const service: BatchConsumerService<UserSignedUp> = {
      name: 'batch-probe',
      groupId,
      topic,
      readerSchema: loadSchemaHistory(USER_SIGNED_UP).latest.schema,
      async handleBatch(records) {
        batchSizes.push(records.length);
        if (records.some((r) => r.event.userId === cursed)) throw new Error('this user cannot be handled');
        handled.push(...records.map((r) => r.event.userId));
      },
    };
    const running = await runConsumer(service, { kafka, registry, logger, retry: config.consumers.retry, produceTimeoutMs: 5000, maxBatchSize: 500, fetchWaitMs: config.consumers.fetchWaitMs, group: config.consumers.group });
    try {
      const good = events.filter((e) => e.userId !== cursed).map((e) => e.userId);
      await eventually(() => good.every((id) => handled.includes(id)), () => `handled ${handled.length} of ${good.length}`);
      const dead = await readAtLeast(config.kafka, deadLetterTopic(groupId), 2);
      expect(dead.map((d) => d.key).sort()).toEqual(['garbage', cursed].sort());
      const cursedLetter = dead.find((d) => d.key === cursed)!;
      expect(cursedLetter.headers[DeadLetterHeaders.attempts]).toBe('3');
      expect(cursedLetter.headers[DeadLetterHeaders.errorMessage]).toMatch(/cannot be handled/);
      expect(handled.toSorted()).toEqual(good.toSorted()); // every good record once, none twice
      expect(Math.max(...batchSizes)).toBeGreaterThan(1); // it did receive batches
    } finally {
      await running.stop();
    }
  });
});

describe('a service that keeps its positions in its own store', () => {
  it('waits for the store when it cannot be read at assignment, instead of starting at Kafka\'s committed offsets', async () => {
    const topic = config.topics.signups.name;
    const groupId = `${config.consumers.groupPrefix}positions-probe`;
    const logger = createLogger('warn', 'test');
    const kafka = createKafka(config.kafka, logger);
    const registry = createRegistryClient(config.registry);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: deadLetterTopic(groupId), numPartitions: 1, replicationFactor: config.topics.replicationFactor }] });
    // The group's committed offsets are at the end of the topic: what a database restored
    // from an older snapshot, whose positions are behind, would find in Kafka.
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.some((e) => BigInt(e.high) > 0n)).toBe(true);
    await moveGroup(kafka, admin, groupId, topic, { kind: 'offsets', offsets: new Map(ends.map((e) => [e.partition, e.high])) });
    await admin.disconnect();

    let unavailable = 3;
    const seen: string[] = [];
    const service: BatchConsumerService<UserSignedUp> = {
      name: 'positions-probe',
      groupId,
      topic,
      readerSchema: loadSchemaHistory(USER_SIGNED_UP).latest.schema,
      async storedOffsets(partitions) {
        if (unavailable-- > 0) throw new Error('the database is unavailable');
        return new Map(partitions.map((p) => [p, '0'])); // the store's positions: the beginning
      },
      async handleBatch(records) {
        seen.push(...records.map((r) => r.context.offset));
      },
    };
    const running = await runConsumer(service, { kafka, registry, logger, retry: { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 200 }, produceTimeoutMs: 5000, maxBatchSize: 500, fetchWaitMs: config.consumers.fetchWaitMs, group: config.consumers.group });
    try {
      await eventually(() => seen.length > 0, () => 'records from the stored positions');
      expect(unavailable).toBeLessThan(0);
      expect(seen).toContain('0');
    } finally {
      await running.stop();
    }
  });
});
