// The table replay prints, dry run or not: per partition, where the group is, where it goes,
// what the partition holds, and what that means in records read again or skipped.
import { offsetsReplayed, type PartitionMove, type ReplayTarget } from '../operations/replay-targets.js';

export interface TopicMoves {
  readonly topic: string;
  readonly moves: readonly PartitionMove[];
}

export function describeTarget(target: ReplayTarget, now: Date): string {
  switch (target.kind) {
    case 'earliest':
      return 'to the earliest offsets';
    case 'latest':
      return 'to the latest offsets';
    case 'datetime':
      return `to the first records at or after ${target.at.toISOString()}`;
    case 'duration':
      return `to the first records at or after ${new Date(now.getTime() - target.ms).toISOString()} (${target.text} ago)`;
    case 'shift':
      return `shifted by ${target.by > 0n ? '+' : ''}${target.by} from the committed offsets`;
    case 'offset':
      return `to offset ${target.offset}`;
    case 'offsets':
      return 'to the given offsets';
  }
}

export function effectOf(move: PartitionMove): string {
  const replayed = offsetsReplayed(move);
  const effect = replayed > 0n ? `replays ${replayed}` : replayed < 0n ? `skips ${-replayed}` : 'no change';
  return move.clamped ? `${effect}, clamped` : effect;
}

export function formatMoves(all: readonly TopicMoves[]): string {
  const header = ['TOPIC', 'PARTITION', 'CURRENT', 'TARGET', 'LOW', 'HIGH', 'EFFECT'];
  const rows = all.flatMap(({ topic, moves }) =>
    moves.map((m) => [topic, String(m.partition), m.committed === undefined ? '-' : String(m.committed), String(m.target), String(m.low), String(m.high), effectOf(m)]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const lines = [line(header), ...rows.map(line)];
  if (rows.some((r) => r[2] === '-')) lines.push('(CURRENT -: the group has no position there and would start at LOW)');
  if (rows.some((r) => r[6]!.endsWith('clamped'))) lines.push("(clamped: the target lay outside the partition's offsets LOW–HIGH; the nearer end is used)");
  return `${lines.join('\n')}\n`;
}
