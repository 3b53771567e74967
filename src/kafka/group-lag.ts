// How far a consumer group is behind, per partition, counted in records its consumers will
// actually receive. Any topic can hold transactions (onboarding writes its topic in them,
// and `dlq republish` writes to every source topic in them): a partition may end in commit
// markers, and hold aborted records, that take offsets but never reach a reader, so "high
// watermark minus committed offset" can stay above 0 for ever once the group is done. Near
// the end the remaining committed records are counted by reading them.
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { readPartitionToEnd } from './partition-reader.js';

export interface PartitionLag {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
  /** The group's committed offset; undefined when it has none for the partition. */
  readonly committed: bigint | undefined;
  /** Records the group has still to receive: exact when at most EXACT_UP_TO offsets remain, else the offset distance. */
  readonly lag: bigint;
}

/** Below this many remaining offsets the lag is counted record by record. */
const EXACT_UP_TO = 1000n;

export async function groupLag(
  admin: KafkaJS.Admin,
  kafka: Config['kafka'],
  groupId: string,
  topic: string,
  options: { readonly timeoutMs: number },
): Promise<PartitionLag[]> {
  const [watermarks, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic, { timeout: options.timeoutMs, isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED }),
    admin.fetchOffsets({ groupId, topics: [topic], timeout: options.timeoutMs }),
  ]);
  const positions = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return Promise.all(
    watermarks.map(async (w) => {
      const low = BigInt(w.low);
      const high = BigInt(w.high);
      const at = positions.get(w.partition);
      const committedOffset = at !== undefined && at >= 0n ? at : undefined;
      const from = committedOffset === undefined || committedOffset < low ? low : committedOffset;
      const lag = await recordsToReceive(kafka, topic, w.partition, from, high, options.timeoutMs);
      return { partition: w.partition, low, high, committed: committedOffset, lag };
    }),
  );
}

/**
 * Records a reader at `from` has still to receive before `end`: counted by reading them when
 * at most EXACT_UP_TO offsets remain (commit markers and aborted records take offsets), else
 * the offset distance.
 */
export async function recordsToReceive(kafka: Config['kafka'], topic: string, partition: number, from: bigint, end: bigint, timeoutMs: number): Promise<bigint> {
  const distance = end > from ? end - from : 0n;
  if (distance === 0n || distance > EXACT_UP_TO) return distance;
  let records = 0n;
  await readPartitionToEnd(kafka, topic, partition, { readCommitted: true, from: Number(from), timeoutMs }, () => {
    records++;
  });
  return records;
}
