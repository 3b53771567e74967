// Moves a service's consumer group on its topic, the way kafka-consumer-groups --reset-offsets
// does: to the start or the end, to a point in time, by a shift, or to given offsets; planned
// first (a dry run shows the plan), committed only on request. Refuses while the group
// has live members (their position would overwrite the move). Analytics keeps its
// positions in PostgreSQL, so replaying it is a rebuild: clear the tables, start over.
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { groupLag } from '../kafka/group-lag.js';
import type { Kafka } from '../kafka/client.js';
import { partitionsToMove, planMoves, ReplayRefusedError, timestampOf, type PartitionMove, type PartitionPosition, type ReplayTarget } from './replay-targets.js';

export { ReplayRefusedError, type ReplayTarget } from './replay-targets.js';

/** Throws ReplayRefusedError naming the members when the group is not empty. */
export async function requireIdleGroup(admin: KafkaJS.Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId], { timeout: 10_000 });
  const members = groups[0]?.members ?? [];
  if (members.length > 0) {
    const who = members.map((m) => `${m.clientId}@${m.clientHost}`).join(', ');
    throw new ReplayRefusedError(`group ${groupId} has ${members.length} live member(s) (${who}); stop the service before replaying it`);
  }
}

export interface PlanOptions {
  /** The partitions to move (--partitions); undefined: every one, or those the target lists. */
  readonly partitions?: readonly number[];
  /** The group reads only committed transactions: "the end" is the last stable offset. */
  readonly readCommitted?: boolean;
  /**
   * Where the group resumes each partition, when that is not Kafka's committed offset (a
   * service that keeps its positions with its effects); a partition missing has none.
   */
  readonly resumesAt?: (partitions: readonly number[]) => Promise<ReadonlyMap<number, bigint>>;
  readonly now?: Date;
}

/**
 * Where a move would take the group on `topic`, per partition it touches (the others keep
 * their positions). Out-of-range targets are clamped, except explicit offsets, which are
 * refused (the client would otherwise silently reset them to the start); see replay-targets.ts.
 */
export async function planMove(admin: KafkaJS.Admin, groupId: string, topic: string, target: ReplayTarget, options: PlanOptions = {}): Promise<PartitionMove[]> {
  const isolationLevel = options.readCommitted ? KafkaJS.IsolationLevel.READ_COMMITTED : KafkaJS.IsolationLevel.READ_UNCOMMITTED;
  const watermarks = await admin.fetchTopicOffsets(topic, { isolationLevel });
  const ranges = watermarks.map((w) => ({ partition: w.partition, low: BigInt(w.low), high: BigInt(w.high) }));
  const partitions = partitionsToMove(topic, ranges, target, options.partitions);
  const resumesAt = options.resumesAt ? await options.resumesAt(partitions) : await committedOffsets(admin, groupId, topic);
  const positions: PartitionPosition[] = ranges
    .filter((r) => partitions.includes(r.partition))
    .map((r) => ({ ...r, committed: resumesAt.get(r.partition) }));
  const at = timestampOf(target, options.now ?? new Date());
  const byTime = at === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, at, { isolationLevel })).map((e) => [e.partition, BigInt(e.offset)]));
  return planMoves(topic, groupId, target, positions, byTime);
}

async function committedOffsets(admin: KafkaJS.Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic], timeout: 10_000 });
  // A negative offset is the client's "none".
  return new Map((entry?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)]));
}

/** Commits the positions of a planned move as the (idle) group's. */
export async function commitMove(kafka: Kafka, groupId: string, topic: string, moves: readonly PartitionMove[]): Promise<void> {
  // A consumer that joins nothing: it commits as the group, then leaves.
  const committer = kafka.consumer({ kafkaJS: { groupId, autoCommit: false } });
  await committer.connect();
  try {
    await committer.commitOffsets(moves.map((m) => ({ topic, partition: m.partition, offset: String(m.target) })));
  } finally {
    await committer.disconnect();
  }
}

/** Plans and commits a move (see planMove); returns the committed positions. The group must be idle. */
export async function moveGroup(
  kafka: Kafka,
  admin: KafkaJS.Admin,
  groupId: string,
  topic: string,
  target: ReplayTarget,
  options: PlanOptions = {},
): Promise<Map<number, string>> {
  const moves = await planMove(admin, groupId, topic, target, options);
  await commitMove(kafka, groupId, topic, moves);
  return positionsOf(moves);
}

export function positionsOf(moves: readonly PartitionMove[]): Map<number, string> {
  return new Map(moves.map((m) => [m.partition, String(m.target)]));
}

export interface Progress {
  readonly processed: bigint;
  readonly total: bigint;
}

/**
 * How far a group has come through the partitions of `topic` it was moved on (`from`), in
 * offsets: the distance from each one's new start to the high watermark, less what the group has still to receive
 * (group-lag.ts counts that in records near the end, so that trailing commit markers do not
 * keep a finished replay at 99 % for ever).
 */
export async function groupProgress(
  admin: KafkaJS.Admin,
  kafka: Config['kafka'],
  groupId: string,
  topic: string,
  from: ReadonlyMap<number, string>,
): Promise<Progress> {
  const lags = await groupLag(admin, kafka, groupId, topic, { timeoutMs: 10_000 });
  let processed = 0n;
  let total = 0n;
  for (const p of lags) {
    const moved = from.get(p.partition);
    if (moved === undefined) continue;
    const start = BigInt(moved);
    const span = p.high > start ? p.high - start : 0n;
    total += span;
    processed += p.lag >= span ? 0n : span - p.lag;
  }
  return { processed, total };
}
