// Moves a service's consumer group so that it processes its topic again: from the
// earliest offset, from a point in time, or from given offsets. Refuses while the group
// has live members (their position would overwrite the move). Analytics keeps its
// positions in PostgreSQL, so replaying it is a rebuild: clear the tables, start over.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { groupLag } from '../kafka/group-lag.js';
import type { Kafka } from '../kafka/client.js';

export type ReplayTarget = { kind: 'earliest' } | { kind: 'timestamp'; at: Date } | { kind: 'offsets'; offsets: ReadonlyMap<number, string> };

export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

export function parseReplayTarget(arg: string | undefined): ReplayTarget {
  if (!arg || arg === 'earliest') return { kind: 'earliest' };
  if (/^\d+:\d+(,\d+:\d+)*$/.test(arg)) {
    return { kind: 'offsets', offsets: new Map(arg.split(',').map((pair) => pair.split(':') as [string, string]).map(([p, o]) => [Number(p), o])) };
  }
  const at = new Date(arg);
  if (Number.isNaN(at.getTime())) {
    throw new ReplayRefusedError(`--to takes 'earliest', an ISO timestamp or partition:offset[,partition:offset…]; got '${arg}'`);
  }
  return { kind: 'timestamp', at };
}

/** Throws ReplayRefusedError naming the members when the group is not empty. */
export async function requireIdleGroup(admin: KafkaJS.Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId], { timeout: 10_000 });
  const members = groups[0]?.members ?? [];
  if (members.length > 0) {
    const who = members.map((m) => `${m.clientId}@${m.clientHost}`).join(', ');
    throw new ReplayRefusedError(`group ${groupId} has ${members.length} live member(s) (${who}); stop the service before replaying it`);
  }
}

/**
 * The positions a move would commit: every partition for `earliest` and a timestamp; only the
 * listed ones for explicit offsets (the others keep their committed positions). An offset
 * outside a partition's range is refused: the client would silently reset it to the start.
 */
export async function plannedPositions(admin: KafkaJS.Admin, topic: string, target: ReplayTarget): Promise<Map<number, string>> {
  const watermarks = await admin.fetchTopicOffsets(topic);
  switch (target.kind) {
    case 'earliest':
      return new Map(watermarks.map((w) => [w.partition, w.low]));
    case 'timestamp': {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, target.at.getTime());
      return new Map(byTime.map((entry) => [entry.partition, entry.offset]));
    }
    case 'offsets': {
      const problems: string[] = [];
      for (const [partition, offset] of target.offsets) {
        const range = watermarks.find((w) => w.partition === partition);
        if (range === undefined) problems.push(`${topic} has no partition ${partition} (it has 0–${watermarks.length - 1})`);
        else if (BigInt(offset) < BigInt(range.low) || BigInt(offset) > BigInt(range.high)) {
          problems.push(`${partition}:${offset} is outside partition ${partition}'s offsets ${range.low}–${range.high}`);
        }
      }
      if (problems.length > 0) throw new ReplayRefusedError(problems.join('; '));
      return new Map(target.offsets);
    }
  }
}

/** Commits the group's new positions on `topic` (see plannedPositions). The group must be idle. */
export async function moveGroup(kafka: Kafka, admin: KafkaJS.Admin, groupId: string, topic: string, target: ReplayTarget): Promise<Map<number, string>> {
  const positions = await plannedPositions(admin, topic, target);
  // A consumer that joins nothing: it commits as the (idle) group, then leaves.
  const committer = kafka.consumer({ kafkaJS: { groupId, autoCommit: false } });
  await committer.connect();
  try {
    await committer.commitOffsets([...positions].map(([partition, offset]) => ({ topic, partition, offset })));
  } finally {
    await committer.disconnect();
  }
  return positions;
}

export interface Progress {
  readonly processed: bigint;
  readonly total: bigint;
}

/**
 * How far a group has come through the partitions of `topic` it was moved on (`from`), in
 * offsets: the distance from each one's new start to the high watermark, less what the group has still to receive
 * (group-lag.ts counts that in records near the end, so that a transactional topic's
 * trailing commit markers do not keep a finished replay at 99 % for ever).
 */
export async function groupProgress(
  admin: KafkaJS.Admin,
  kafka: Config['kafka'],
  groupId: string,
  topic: string,
  from: ReadonlyMap<number, string>,
  { readCommitted }: { readonly readCommitted: boolean },
): Promise<Progress> {
  const lags = await groupLag(admin, kafka, groupId, topic, { readCommitted, timeoutMs: 10_000 });
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
