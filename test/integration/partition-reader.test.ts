// readPartitionToEnd on a real transactional topic: commit markers occupy offsets that no
// read_committed reader receives, aborted records never show, and a transaction still open
// when the read starts holds the read until it is settled.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { readPartitionToEnd } from '../../src/kafka/partition-reader.js';
import { createIdempotentProducer, type Producer } from '../../src/kafka/producer.js';
import { createLogger } from '../../src/logger.js';
import { stackConfig } from '../support/stack-env.js';
import { sleep } from '../support/sleep.js';

let config: Config;
let kafka: Kafka;
let producer: Producer;
const topic = `partition-reader-test-${randomUUID()}`;

const keysOf = async (readCommitted: boolean, timeoutMs = 20_000) => {
  const keys: string[] = [];
  await readPartitionToEnd(config.kafka, topic, 0, { readCommitted, timeoutMs }, (record) => {
    keys.push(record.key!.toString());
  });
  return keys;
};

const inTransaction = async (keys: string[], outcome: 'commit' | 'abort') => {
  const transaction = await producer.transaction();
  await transaction.send({ topic, messages: keys.map((key) => ({ key, value: 'v', partition: 0 })) });
  await (outcome === 'commit' ? transaction.commit() : transaction.abort());
};

beforeAll(async () => {
  config = stackConfig();
  kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: config.topics.replicationFactor }] });
  await admin.disconnect();
  producer = createIdempotentProducer(kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000, transactionalId: `partition-reader-test-${randomUUID()}` });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

describe('readPartitionToEnd', () => {
  it('finishes at once on an empty partition', async () => {
    expect(await keysOf(true)).toEqual([]);
  });

  it('reads committed records only, and finishes although the partition ends in a commit marker', async () => {
    await inTransaction(['a', 'b'], 'commit');
    await inTransaction(['x'], 'abort');
    await inTransaction(['c'], 'commit');
    expect(await keysOf(true)).toEqual(['a', 'b', 'c']);
    expect(await keysOf(false)).toEqual(['a', 'b', 'x', 'c']);
  });

  it('waits for a transaction open when the read starts, and includes it once committed', async () => {
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ key: 'd', value: 'v', partition: 0 }] });
    let finished = false;
    const reading = keysOf(true).finally(() => (finished = true));
    await sleep(1500);
    expect(finished).toBe(false);
    await transaction.commit();
    expect(await reading).toEqual(['a', 'b', 'c', 'd']);
  });

  it('fails within its bound, as a dependency failure, while a transaction stays open', async () => {
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ key: 'e', value: 'v', partition: 0 }] });
    const started = Date.now();
    await expect(keysOf(true, 2000)).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
    expect(Date.now() - started).toBeLessThan(5000);
    await transaction.abort();
    expect(await keysOf(true)).toEqual(['a', 'b', 'c', 'd']);
  });
});
