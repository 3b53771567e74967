// Reads a whole topic: every partition that holds records, each from its beginning to its
// end as readPartitionToEnd reads one (the high watermark when its read starts; read_committed
// waits out open transactions and finishes although a partition ends in commit markers).
import type { Config } from '../config.js';
import { readPartitionToEnd } from './partition-reader.js';

export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** A topic's offsets per partition, as the admin client's fetchTopicOffsets gives them. */
export type Watermarks = ReadonlyArray<{ readonly partition: number; readonly low: string; readonly high: string }>;

export interface TopicReadOptions {
  readonly readCommitted: boolean;
  /** Bound on each partition's read. */
  readonly timeoutMs: number;
}

/** Every record of the topic, partition by partition in offset order. */
export async function readTopicToEnd(kafka: Config['kafka'], topic: string, watermarks: Watermarks, options: TopicReadOptions): Promise<TopicRecord[]> {
  const partitions = watermarks
    .filter((w) => BigInt(w.high) > BigInt(w.low))
    .map((w) => w.partition)
    .sort((a, b) => a - b);
  const records: TopicRecord[] = [];
  for (const partition of partitions) {
    await readPartitionToEnd(kafka, topic, partition, options, (record) => {
      records.push({
        partition,
        offset: String(record.offset),
        key: record.key ? Buffer.from(record.key) : null,
        value: record.value,
        headers: Object.fromEntries((record.headers ?? []).flatMap((h) => Object.entries(h)).map(([k, v]) => [k, String(v)])),
      });
    });
  }
  return records;
}
