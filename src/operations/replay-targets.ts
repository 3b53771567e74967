// The arithmetic of moving a group, free of I/O: where each partition's position goes for a
// target, clamped into the partition's offsets the way kafka-consumer-groups --reset-offsets
// does (a target past the end lands on the end, before the start on the start), except
// explicit partition:offset pairs, which are refused: an operator who names an exact offset
// meant that one.

/** A reset target, one per move, named after kafka-consumer-groups' options. */
export type ReplayTarget =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'datetime'; readonly at: Date }
  /** From `now` less an ISO-8601 duration. */
  | { readonly kind: 'duration'; readonly text: string; readonly ms: number }
  /** Relative to the group's committed position. */
  | { readonly kind: 'shift'; readonly by: bigint }
  /** The same offset on every selected partition. */
  | { readonly kind: 'offset'; readonly offset: bigint }
  /** Exact offsets for the listed partitions only. */
  | { readonly kind: 'offsets'; readonly offsets: ReadonlyMap<number, string> };

export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

export interface PartitionRange {
  readonly partition: number;
  /** The first offset the partition still holds. */
  readonly low: bigint;
  /** The offset the next record will get: a position here has read everything. */
  readonly high: bigint;
}

export interface PartitionPosition extends PartitionRange {
  /** Where the group resumes; undefined when it has no position (it would start at `low`). */
  readonly committed: bigint | undefined;
}

export interface PartitionMove extends PartitionPosition {
  readonly target: bigint;
  /** The target fell outside [low, high] and was moved to the nearer end. */
  readonly clamped: boolean;
}

export interface Clamped {
  readonly offset: bigint;
  readonly clamped: boolean;
}

export function clampOffset(offset: bigint, { low, high }: PartitionRange): Clamped {
  if (offset < low) return { offset: low, clamped: true };
  if (offset > high) return { offset: high, clamped: true };
  return { offset, clamped: false };
}

/** Whether the target's offsets depend on the records' timestamps (looked up in Kafka). */
export function timestampOf(target: ReplayTarget, now: Date): number | undefined {
  if (target.kind === 'datetime') return target.at.getTime();
  if (target.kind === 'duration') return now.getTime() - target.ms;
  return undefined;
}

/**
 * The partitions a move touches: those `--to p:o` lists, else `selected`, else all. A
 * partition the topic does not have is refused.
 */
export function partitionsToMove(topic: string, ranges: readonly PartitionRange[], target: ReplayTarget, selected?: readonly number[]): number[] {
  const wanted = target.kind === 'offsets' ? [...target.offsets.keys()] : (selected ?? ranges.map((r) => r.partition));
  const missing = wanted.filter((p) => !ranges.some((r) => r.partition === p));
  if (missing.length > 0) {
    throw new ReplayRefusedError(missing.map((p) => `${topic} has no partition ${p} (it has 0–${ranges.length - 1})`).join('; '));
  }
  return [...new Set(wanted)].sort((a, b) => a - b);
}

/**
 * Where one partition's position goes. `byTime` is, for a datetime or duration target, the
 * first offset whose record is at or after that time (the end when there is none, which is
 * then reported as clamped: the time lies past the partition's last record).
 */
export function targetOffset(target: ReplayTarget, position: PartitionPosition, byTime?: bigint): Clamped {
  switch (target.kind) {
    case 'earliest':
      return { offset: position.low, clamped: false };
    case 'latest':
      return { offset: position.high, clamped: false };
    case 'datetime':
    case 'duration': {
      if (byTime === undefined) throw new Error(`no offset looked up by time for partition ${position.partition}`);
      const found = clampOffset(byTime, position);
      return found.offset >= position.high && position.high > position.low ? { offset: position.high, clamped: true } : found;
    }
    case 'shift':
      if (position.committed === undefined) throw new Error(`partition ${position.partition} has no committed position to shift`);
      return clampOffset(position.committed + target.by, position);
    case 'offset':
      return clampOffset(target.offset, position);
    case 'offsets': {
      const offset = BigInt(target.offsets.get(position.partition)!);
      if (offset < position.low || offset > position.high) {
        throw new ReplayRefusedError(`${position.partition}:${offset} is outside partition ${position.partition}'s offsets ${position.low}–${position.high}`);
      }
      return { offset, clamped: false };
    }
  }
}

/**
 * The moves of the given partitions, all or none: every refusal (an explicit offset out of
 * range, a shift with no committed position) is collected into one error.
 */
export function planMoves(topic: string, groupId: string, target: ReplayTarget, positions: readonly PartitionPosition[], byTime?: ReadonlyMap<number, bigint>): PartitionMove[] {
  if (target.kind === 'shift') {
    const without = positions.filter((p) => p.committed === undefined).map((p) => p.partition);
    if (without.length > 0) {
      throw new ReplayRefusedError(
        `--shift-by moves from the group's committed position, and group ${groupId} has none on ${topic} partition(s) ${without.join(', ')}; ` +
          'give those partitions an absolute target (--to-earliest, --to-latest, --to-datetime, --to-offset) or leave them out with --partitions',
      );
    }
  }
  const moves: PartitionMove[] = [];
  const problems: string[] = [];
  for (const position of positions) {
    try {
      const { offset, clamped } = targetOffset(target, position, byTime?.get(position.partition));
      moves.push({ ...position, target: offset, clamped });
    } catch (error) {
      if (!(error instanceof ReplayRefusedError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new ReplayRefusedError(problems.join('; '));
  return moves;
}

/**
 * Offsets the move makes the group read again (positive) or skip (negative), from where it
 * would otherwise resume: its committed position, or the start when it has none. Counted in
 * offsets: on a transactional topic commit markers take offsets too.
 */
export function offsetsReplayed(move: PartitionMove): bigint {
  const resumeAt = clampOffset(move.committed ?? move.low, move).offset;
  return resumeAt - move.target;
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/**
 * An ISO-8601 duration as kafka-consumer-groups' --by-duration takes it (java.time.Duration:
 * days, hours, minutes, seconds; no years or months, whose length varies), in milliseconds.
 * Undefined when the text is not one.
 */
export function parseIsoDuration(text: string): number | undefined {
  const match = DURATION.exec(text.toUpperCase());
  if (!match || text.length <= 1 || /T$/i.test(text)) return undefined;
  const [, days, hours, minutes, seconds] = match;
  if ([days, hours, minutes, seconds].every((part) => part === undefined)) return undefined;
  return ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * 60_000 + Math.round(Number(seconds ?? 0) * 1000);
}
