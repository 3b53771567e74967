// The arithmetic of a move, as kafka-consumer-groups --reset-offsets does it: targets clamped
// into a partition's offsets (and said so), explicit offsets refused instead, shift-by only
// from a committed position; and replay's command line, one target at a time.
import { describe, expect, it } from 'vitest';
import { parseReplayArgs, type ReplayOptions } from '../../src/cli/replay-args.js';
import { effectOf, formatMoves } from '../../src/cli/replay-table.js';
import {
  clampOffset,
  offsetsReplayed,
  parseIsoDuration,
  partitionsToMove,
  planMoves,
  ReplayRefusedError,
  targetOffset,
  timestampOf,
  type PartitionPosition,
  type ReplayTarget,
} from '../../src/operations/replay-targets.js';

/** Offsets 10–20 held, the group at 15. */
const at15: PartitionPosition = { partition: 0, low: 10n, high: 20n, committed: 15n };
const fresh: PartitionPosition = { ...at15, partition: 1, committed: undefined };

describe('clampOffset', () => {
  it('keeps an offset inside the range, ends included, and moves one outside to the nearer end', () => {
    expect(clampOffset(10n, at15)).toEqual({ offset: 10n, clamped: false });
    expect(clampOffset(20n, at15)).toEqual({ offset: 20n, clamped: false });
    expect(clampOffset(3n, at15)).toEqual({ offset: 10n, clamped: true });
    expect(clampOffset(21n, at15)).toEqual({ offset: 20n, clamped: true });
  });
});

describe('targetOffset', () => {
  it('earliest and latest are the watermarks', () => {
    expect(targetOffset({ kind: 'earliest' }, at15)).toEqual({ offset: 10n, clamped: false });
    expect(targetOffset({ kind: 'latest' }, at15)).toEqual({ offset: 20n, clamped: false });
  });

  it('shift-by moves from the committed position and clamps past either end', () => {
    expect(targetOffset({ kind: 'shift', by: -3n }, at15)).toEqual({ offset: 12n, clamped: false });
    expect(targetOffset({ kind: 'shift', by: 5n }, at15)).toEqual({ offset: 20n, clamped: false });
    expect(targetOffset({ kind: 'shift', by: -100n }, at15)).toEqual({ offset: 10n, clamped: true });
    expect(targetOffset({ kind: 'shift', by: 6n }, at15)).toEqual({ offset: 20n, clamped: true });
  });

  it('to-offset is clamped into each partition', () => {
    expect(targetOffset({ kind: 'offset', offset: 12n }, at15)).toEqual({ offset: 12n, clamped: false });
    expect(targetOffset({ kind: 'offset', offset: 0n }, at15)).toEqual({ offset: 10n, clamped: true });
    expect(targetOffset({ kind: 'offset', offset: 99n }, at15)).toEqual({ offset: 20n, clamped: true });
  });

  it('a time lands on the first record at or after it; past the last record it is the end, clamped', () => {
    const datetime: ReplayTarget = { kind: 'datetime', at: new Date('2026-01-01T00:00:00Z') };
    expect(targetOffset(datetime, at15, 13n)).toEqual({ offset: 13n, clamped: false });
    expect(targetOffset(datetime, at15, 20n)).toEqual({ offset: 20n, clamped: true });
    // An empty partition has no records to be past.
    expect(targetOffset(datetime, { ...at15, low: 20n }, 20n)).toEqual({ offset: 20n, clamped: false });
  });

  it('explicit partition:offset pairs are refused outside the range, never clamped', () => {
    const offsets = (o: string): ReplayTarget => ({ kind: 'offsets', offsets: new Map([[0, o]]) });
    expect(targetOffset(offsets('20'), at15)).toEqual({ offset: 20n, clamped: false });
    expect(() => targetOffset(offsets('21'), at15)).toThrow(new ReplayRefusedError("0:21 is outside partition 0's offsets 10–20"));
    expect(() => targetOffset(offsets('9'), at15)).toThrow(ReplayRefusedError);
  });
});

describe('timestampOf', () => {
  it('a duration counts back from now; other targets need no lookup by time', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    expect(timestampOf({ kind: 'duration', text: 'PT1H', ms: 3_600_000 }, now)).toBe(Date.parse('2026-11-24T11:00:00Z'));
    expect(timestampOf({ kind: 'datetime', at: now }, now)).toBe(now.getTime());
    expect(timestampOf({ kind: 'latest' }, now)).toBeUndefined();
  });
});

describe('planMoves', () => {
  it('refuses shift-by for partitions without a committed position, naming them, and moves none', () => {
    expect(() => planMoves('t', 'g', { kind: 'shift', by: -1n }, [at15, fresh])).toThrow(/group g has none on t partition\(s\) 1; give those partitions an absolute target/);
  });

  it('collects every refused explicit offset into one error', () => {
    const target: ReplayTarget = { kind: 'offsets', offsets: new Map([[0, '99'], [1, '1']]) };
    expect(() => planMoves('t', 'g', target, [at15, fresh])).toThrow("0:99 is outside partition 0's offsets 10–20; 1:1 is outside partition 1's offsets 10–20");
  });

  it('plans each partition it is given', () => {
    expect(planMoves('t', 'g', { kind: 'offset', offset: 25n }, [at15, fresh])).toEqual([
      { ...at15, target: 20n, clamped: true },
      { ...fresh, target: 20n, clamped: true },
    ]);
  });
});

describe('partitionsToMove', () => {
  const ranges = [0, 1, 2].map((partition) => ({ partition, low: 0n, high: 5n }));
  it('all by default, the selected ones, or those the explicit offsets list; unknown ones are refused', () => {
    expect(partitionsToMove('t', ranges, { kind: 'earliest' })).toEqual([0, 1, 2]);
    expect(partitionsToMove('t', ranges, { kind: 'latest' }, [2, 0])).toEqual([0, 2]);
    expect(partitionsToMove('t', ranges, { kind: 'offsets', offsets: new Map([[1, '0']]) })).toEqual([1]);
    expect(() => partitionsToMove('t', ranges, { kind: 'earliest' }, [0, 7])).toThrow(new ReplayRefusedError('t has no partition 7 (it has 0–2)'));
  });
});

describe('offsetsReplayed', () => {
  it('counts from the committed position, or from the start when there is none', () => {
    expect(offsetsReplayed({ ...at15, target: 10n, clamped: false })).toBe(5n);
    expect(offsetsReplayed({ ...at15, target: 20n, clamped: false })).toBe(-5n);
    expect(offsetsReplayed({ ...fresh, target: 20n, clamped: false })).toBe(-10n);
    expect(effectOf({ ...at15, target: 20n, clamped: true })).toBe('skips 5, clamped');
    expect(effectOf({ ...at15, target: 15n, clamped: false })).toBe('no change');
  });

  it('the table has a row per partition and explains - and clamped', () => {
    const table = formatMoves([{ topic: 'signups', moves: [{ ...at15, target: 10n, clamped: false }, { ...fresh, target: 20n, clamped: true }] }]);
    expect(table.split('\n')).toEqual([
      'TOPIC    PARTITION  CURRENT  TARGET  LOW  HIGH  EFFECT',
      'signups  0          15       10      10   20    replays 5',
      'signups  1          -        20      10   20    skips 10, clamped',
      '(CURRENT -: the group has no position there and would start at LOW)',
      "(clamped: the target lay outside the partition's offsets LOW–HIGH; the nearer end is used)",
      '',
    ]);
  });
});

describe('parseIsoDuration', () => {
  it.each([
    ['PT1H', 3_600_000],
    ['P1DT2H', 26 * 3_600_000],
    ['PT30M', 1_800_000],
    ['PT1.5S', 1_500],
    ['P2D', 2 * 86_400_000],
    ['pt15m', 900_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1H', 'PT-1H', 'P1M', 'P1Y', 'PT1H30', 'one hour'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });
});

describe('parseReplayArgs', () => {
  const options = (...args: string[]): ReplayOptions => {
    const parsed = parseReplayArgs(args);
    if ('problem' in parsed) throw new Error(parsed.problem);
    return parsed.options;
  };
  const problem = (...args: string[]): string => {
    const parsed = parseReplayArgs(args);
    return 'problem' in parsed ? parsed.problem : 'accepted';
  };

  it('is a dry run to the earliest offsets on every partition unless told otherwise', () => {
    expect(options('email')).toEqual({ service: 'email', target: { kind: 'earliest' }, partitions: undefined, execute: false, wait: false, force: false });
    expect(options('email', '--dry-run').execute).toBe(false);
  });

  it('reads each target and the partitions', () => {
    expect(options('email', '--to-latest', '--partitions', '2,0', '--execute', '--wait')).toMatchObject({
      target: { kind: 'latest' },
      partitions: [0, 2],
      execute: true,
      wait: true,
    });
    expect(options('email', '--shift-by', '-5').target).toEqual({ kind: 'shift', by: -5n });
    expect(options('email', '--shift-by', '+5').target).toEqual({ kind: 'shift', by: 5n });
    expect(options('email', '--to-offset', '7').target).toEqual({ kind: 'offset', offset: 7n });
    expect(options('email', '--by-duration', 'PT1H').target).toEqual({ kind: 'duration', text: 'PT1H', ms: 3_600_000 });
    expect(options('email', '--to-datetime', '2026-11-24T12:00:00Z').target).toEqual({ kind: 'datetime', at: new Date('2026-11-24T12:00:00Z') });
    expect(options('email', '--to', '0:5,3:1').target).toEqual({ kind: 'offsets', offsets: new Map([[0, '5'], [3, '1']]) });
  });

  it('refuses what it cannot take', () => {
    expect(problem('email', '--to-latest', '--to-earliest')).toBe('one target at a time; got --to-latest and --to-earliest');
    expect(problem('email', '--wait')).toBe('--wait follows a move: it needs --execute');
    expect(problem('email', '--execute', '--dry-run')).toMatch(/contradict/);
    expect(problem('email', '--to', 'earliest')).toMatch(/--to takes partition:offset.*--to-earliest/);
    expect(problem('email', '--to', '0:1', '--partitions', '0')).toMatch(/--to names its partitions/);
    expect(problem('email', '--to-datetime', '2026-11-24 12:00')).toMatch(/with its zone/);
    expect(problem('email', '--by-duration', '1h')).toMatch(/PT1H/);
    expect(problem('email', '--shift-by', '1.5')).toMatch(/whole number/);
    expect(problem('email', '--to-offset', '-1')).toMatch(/from 0/);
    expect(problem('email', '--partitions', 'a')).toMatch(/e\.g\. 0,2/);
    expect(problem('email', '--to-offset')).toBe('--to-offset needs a value');
    expect(problem('email', '--to-latest', '--to-latest')).toBe('--to-latest given twice');
    expect(problem('email', '--bogus')).toBe("unknown argument '--bogus'");
    expect(problem('nobody')).toBe("no service 'nobody'");
  });
});
