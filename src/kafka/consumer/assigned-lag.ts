// How many records a consumer has still to receive on the partitions assigned to it,
// measured with the consumer's own connections: its committed offsets (OffsetFetch through
// its group coordinator) and the watermarks from its latest librdkafka statistics. Not
// with the admin client: librdkafka's admin group requests can abort the whole process
// when they time out while the cluster is down and it then comes back (its issues #4605
// and #3663, open; reproduced here on 2.15.1 by stopping the broker for 45 s).
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../config.js';
import { recordsToReceive } from '../group-lag.js';

interface PartitionStatistics {
  readonly lo_offset: number;
  readonly hi_offset: number;
  readonly ls_offset: number;
}

export async function assignedLag(
  consumer: KafkaJS.Consumer,
  kafka: Config['kafka'],
  topic: string,
  statistics: string | undefined,
  { readCommitted, timeoutMs }: { readonly readCommitted: boolean; readonly timeoutMs: number },
): Promise<bigint> {
  const assigned = consumer.assignment().filter((tp) => tp.topic === topic);
  if (assigned.length === 0) return 0n;
  if (statistics === undefined) throw new Error('no statistics from librdkafka yet');
  const partitions = (JSON.parse(statistics) as { topics?: Record<string, { partitions: Record<string, PartitionStatistics> }> }).topics?.[topic]?.partitions ?? {};
  const committed = await consumer.committed(assigned, timeoutMs);
  let total = 0n;
  for (const { partition, offset } of committed) {
    const stats = partitions[String(partition)];
    if (stats === undefined || stats.hi_offset < 0) throw new Error(`no watermarks for ${topic}/${partition} in librdkafka's statistics`);
    const low = BigInt(stats.lo_offset);
    const end = BigInt(readCommitted ? stats.ls_offset : stats.hi_offset);
    // null: no committed offset (or 0: the client maps 0 to null too); either way the group
    // reads from the partition's beginning.
    const position = offset === null ? -1n : BigInt(offset);
    const from = position < low ? low : position;
    total += await recordsToReceive(kafka, topic, partition, from, end, timeoutMs);
  }
  return total;
}
