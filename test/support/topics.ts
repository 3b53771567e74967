// What really reached a topic, read the way the services read it (src/kafka/topic-reader.ts):
// every partition to its end, committed records only unless a test asks for all of them.
import type { Config } from '../../src/config.js';
import { createKafka } from '../../src/kafka/client.js';
import { readTopicToEnd } from '../../src/kafka/topic-reader.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from './services.js';

export interface RecordOnTopic {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export interface ReadTopicOptions {
  /** false: aborted transactions' records too. */
  readonly readCommitted: boolean;
  /** A topic that does not exist reads as empty. */
  readonly emptyOk?: boolean;
  /** Bound on each partition's read. */
  readonly timeoutMs?: number;
}

/** Every record on the topic now, by partition and offset. */
export async function readTopic(kafka: Config['kafka'], topic: string, options: ReadTopicOptions): Promise<RecordOnTopic[]> {
  const admin = createKafka(kafka, createLogger('silent', 'test')).admin();
  await admin.connect();
  let watermarks;
  try {
    watermarks = await admin.fetchTopicOffsets(topic);
  } catch (error) {
    if (options.emptyOk) return [];
    throw error;
  } finally {
    await admin.disconnect();
  }
  const records = await readTopicToEnd(kafka, topic, watermarks, { readCommitted: options.readCommitted, timeoutMs: options.timeoutMs ?? 60_000 });
  return records.map((r) => {
    // The test topics hold no tombstones: a record without a value is a bug worth failing on.
    if (r.value === null) throw new Error(`${topic}/${r.partition}@${r.offset} has no value`);
    return { ...r, key: r.key?.toString() ?? null, value: r.value };
  });
}

/** Every committed record on the topic, once it holds at least `count` (records still on their way). */
export async function readAtLeast(kafka: Config['kafka'], topic: string, count: number, timeoutMs = 30_000): Promise<RecordOnTopic[]> {
  let records: RecordOnTopic[] = [];
  await eventually(
    async () => (records = await readTopic(kafka, topic, { readCommitted: true, timeoutMs })).length >= count,
    () => `${records.length} of ${count} records on ${topic}`,
    timeoutMs,
  );
  return records;
}
