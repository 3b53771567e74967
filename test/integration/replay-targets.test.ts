// Where `replay --to` moves a group, on a real topic: only the partitions it names, never to
// an offset the partition does not hold, and nowhere at all in a dry run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../src/config.js';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { groupProgress, moveGroup, plannedPositions, ReplayRefusedError } from '../../src/operations/replay.js';
import { isolatedConfig } from '../support/api.js';

const PARTITIONS = 3;
const PER_PARTITION = 5;
let config: Config;
let kafka: Kafka;
let admin: KafkaJS.Admin;
let topic: string;

async function committed(groupId: string): Promise<Map<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

beforeAll(async () => {
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: String(PARTITIONS) });
  topic = config.topics.signups.name;
  kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const messages = Array.from({ length: PER_PARTITION }, (_, i) => ({ value: `record ${i}`, partition }));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
});

describe('replay --to partition:offset', () => {
  it('moves only the listed partitions; the others keep their committed positions', async () => {
    const group = `${config.consumers.groupPrefix}partial`;
    const end = String(PER_PARTITION);
    await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, end], [1, end], [2, end]]) });

    const moved = await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[1, '2']]) });

    expect(moved).toEqual(new Map([[1, '2']]));
    expect(await committed(group)).toEqual(new Map([[0, end], [1, '2'], [2, end]]));
    // Progress covers the partition that moved: 3 records still to come, nothing done yet.
    const progress = await groupProgress(admin, config.kafka, group, topic, moved, { readCommitted: false });
    expect(progress).toEqual({ processed: 0n, total: 3n });
  });

  it('refuses offsets a partition does not hold, and partitions the topic does not have, moving nothing', async () => {
    const group = `${config.consumers.groupPrefix}refused`;
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });
    const before = await committed(group);

    const pastTheEnd = moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, '2'], [1, '999']]) });
    await expect(pastTheEnd).rejects.toThrow(ReplayRefusedError);
    await expect(pastTheEnd).rejects.toThrow(`1:999 is outside partition 1's offsets 0–${PER_PARTITION}`);
    await expect(moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[7, '0']]) })).rejects.toThrow(
      `has no partition 7 (it has 0–${PARTITIONS - 1})`,
    );

    expect(await committed(group)).toEqual(before);
  });

  it('plans without committing (the dry run)', async () => {
    const group = `${config.consumers.groupPrefix}dry`;
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });

    const planned = await plannedPositions(admin, topic, { kind: 'offsets', offsets: new Map([[2, '4']]) });

    expect(planned).toEqual(new Map([[2, '4']]));
    expect(await committed(group)).toEqual(new Map([[0, '0'], [1, '0'], [2, '0']]));
  });
});
