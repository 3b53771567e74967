// Reads a whole topic, from the beginning to its end offsets at the time of the call.
import { randomUUID } from 'node:crypto';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Kafka } from '../../src/kafka/client.js';

export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
}

export async function readTopic(kafka: Kafka, topic: string, options: { readCommitted: boolean; emptyOk?: boolean; timeoutMs?: number }): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    // With read_committed the end is the last stable offset; commit markers occupy offsets too,
    // so the reader is done when its position passes the end, not when it has N records.
    const isolationLevel = options.readCommitted ? KafkaJS.IsolationLevel.READ_COMMITTED : KafkaJS.IsolationLevel.READ_UNCOMMITTED;
    ends = new Map((await admin.fetchTopicOffsets(topic, { isolationLevel })).map((p) => [p.partition, BigInt(p.high)]));
  } catch (error) {
    if (options.emptyOk) return [];
    throw error;
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  const records: TopicRecord[] = [];
  if (pending.size === 0) return records;
  const consumer = kafka.consumer({ kafkaJS: { groupId: `fault-checker-${randomUUID()}`, fromBeginning: true, autoCommit: false, readUncommitted: !options.readCommitted } });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} records of ${topic}; partitions ${[...pending].join(', ')} not finished`)), options.timeoutMs ?? 60_000);
      // A read_committed reader cannot tell where a partition ends when it ends in aborted
      // records (a killed transactional producer): it is done once nothing arrives for 3 s
      // after a first record (the group join before it can take longer).
      let idle: NodeJS.Timeout | undefined;
      const quiet = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          clearTimeout(timer);
          resolve();
        }, 3000);
      };
      void consumer.run({
        eachMessage: async ({ partition, message }: KafkaJS.EachMessagePayload) => {
          records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value });
          if (options.readCommitted) quiet();
          // On a transactional topic the last offset is the last transaction's commit marker,
          // which a read_committed reader never receives.
          const next = BigInt(message.offset) + 1n;
          const end = ends.get(partition)!;
          if (next >= end || (options.readCommitted && next >= end - 1n)) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            clearTimeout(idle);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
