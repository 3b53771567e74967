// replay's command line, read before any connection: kafka-consumer-groups --reset-offsets'
// options (one target, a dry run unless --execute), so that a wrong call exits 2 at once.
import { parseIsoDuration, type ReplayTarget } from '../operations/replay-targets.js';
import { isServiceName, SERVICE_NAMES, type ServiceName } from '../services/catalog.js';

export const REPLAY_USAGE =
  `usage: replay <${SERVICE_NAMES.join('|')}> [target] [--partitions <p,…>] [--execute [--wait]] [--force]\n` +
  '  Shows, per partition, where the service\'s consumer group would move; moves it only with --execute.\n' +
  '  target (one; --to-earliest unless given):\n' +
  '    --to-earliest            the first offset each partition still holds\n' +
  '    --to-latest              the end: skip everything not yet read\n' +
  '    --to-datetime <ISO>      the first record at or after that time, e.g. 2026-11-24T12:00:00Z\n' +
  '    --by-duration <ISO dur>  the same, that long ago, e.g. PT1H, P1DT2H\n' +
  '    --shift-by <±n>          n offsets from the group\'s committed position\n' +
  '    --to-offset <n>          offset n on every selected partition\n' +
  '    --to <p:o,…>             exactly these offsets on these partitions (outside a partition\'s range: refused)\n' +
  '  --partitions <p,…>  move only these partitions; the others keep their committed positions\n' +
  '  a target outside a partition\'s range is clamped to it (the table says so), except --to p:o\n' +
  '  --execute   move the group (refused while it has live members); --dry-run, the default, is accepted\n' +
  '  --wait      with --execute: show progress until the restarted service has caught up\n' +
  '  --force     analytics: rebuild even when retention has deleted the topic\'s beginning\n' +
  '  analytics keeps its positions with its counts: a move is a rebuild (tables cleared), --to-earliest on every partition only\n';

export interface ReplayOptions {
  readonly service: ServiceName;
  readonly target: ReplayTarget;
  /** The partitions to move; undefined: all (or those --to names). */
  readonly partitions?: readonly number[];
  readonly execute: boolean;
  readonly wait: boolean;
  readonly force: boolean;
}

export type ParsedReplayArgs = { readonly options: ReplayOptions } | { readonly problem: string };

const TARGET_FLAGS = ['--to-earliest', '--to-latest', '--to-datetime', '--by-duration', '--shift-by', '--to-offset', '--to'] as const;
type TargetFlag = (typeof TARGET_FLAGS)[number];
const TAKES_VALUE = new Set<string>(['--to-datetime', '--by-duration', '--shift-by', '--to-offset', '--to', '--partitions']);
const SWITCHES = new Set<string>(['--to-earliest', '--to-latest', '--execute', '--dry-run', '--wait', '--force']);

export function parseReplayArgs(args: readonly string[]): ParsedReplayArgs {
  const [service, ...rest] = args;
  if (!isServiceName(service)) return { problem: service === undefined ? 'name a service' : `no service '${service}'` };
  const seen = new Map<string, string>();
  const targets: TargetFlag[] = [];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (!TAKES_VALUE.has(flag) && !SWITCHES.has(flag)) return { problem: `unknown argument '${flag}'` };
    if (seen.has(flag)) return { problem: `${flag} given twice` };
    let value = '';
    if (TAKES_VALUE.has(flag)) {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) return { problem: `${flag} needs a value` };
      value = next;
      i++;
    }
    seen.set(flag, value);
    if ((TARGET_FLAGS as readonly string[]).includes(flag)) targets.push(flag as TargetFlag);
  }
  if (targets.length > 1) return { problem: `one target at a time; got ${targets.join(' and ')}` };
  const execute = seen.has('--execute');
  if (execute && seen.has('--dry-run')) return { problem: '--execute and --dry-run contradict each other' };
  if (seen.has('--wait') && !execute) return { problem: '--wait follows a move: it needs --execute' };

  const flag = targets[0] ?? '--to-earliest';
  const target = parseTarget(flag, seen.get(flag) ?? '');
  if ('problem' in target) return target;
  let partitions: number[] | undefined;
  if (seen.has('--partitions')) {
    if (flag === '--to') return { problem: '--to names its partitions; --partitions goes with the other targets' };
    const list = seen.get('--partitions')!;
    if (!/^\d+(,\d+)*$/.test(list)) return { problem: `--partitions takes partition numbers separated by commas, e.g. 0,2; got '${list}'` };
    partitions = [...new Set(list.split(',').map(Number))].sort((a, b) => a - b);
  }
  return { options: { service, target: target.target, partitions, execute, wait: seen.has('--wait'), force: seen.has('--force') } };
}

function parseTarget(flag: TargetFlag, value: string): { target: ReplayTarget } | { problem: string } {
  switch (flag) {
    case '--to-earliest':
      return { target: { kind: 'earliest' } };
    case '--to-latest':
      return { target: { kind: 'latest' } };
    case '--to-datetime': {
      // A date without a time zone would depend on the machine's: refused.
      const at = new Date(value);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) || Number.isNaN(at.getTime())) {
        return { problem: `--to-datetime takes an ISO-8601 time with its zone, e.g. 2026-11-24T12:00:00Z; got '${value}'` };
      }
      return { target: { kind: 'datetime', at } };
    }
    case '--by-duration': {
      const ms = parseIsoDuration(value);
      if (ms === undefined) return { problem: `--by-duration takes an ISO-8601 duration in days, hours, minutes, seconds, e.g. PT1H or P1DT2H; got '${value}'` };
      return { target: { kind: 'duration', text: value, ms } };
    }
    case '--shift-by':
      if (!/^[+-]?\d+$/.test(value)) return { problem: `--shift-by takes a whole number of offsets, e.g. -100 or 50; got '${value}'` };
      return { target: { kind: 'shift', by: BigInt(value) } };
    case '--to-offset':
      if (!/^\d+$/.test(value)) return { problem: `--to-offset takes an offset (a whole number from 0); got '${value}'` };
      return { target: { kind: 'offset', offset: BigInt(value) } };
    case '--to':
      if (!/^\d+:\d+(,\d+:\d+)*$/.test(value)) {
        return { problem: `--to takes partition:offset[,partition:offset…]; got '${value}' (from the start: --to-earliest; from a time: --to-datetime)` };
      }
      return { target: { kind: 'offsets', offsets: new Map(value.split(',').map((pair) => pair.split(':')).map(([p, o]) => [Number(p), String(BigInt(o!))])) } };
  }
}
