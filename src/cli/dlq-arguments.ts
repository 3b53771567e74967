// The dlq tool's command line, checked before anything is read or connected: a call it
// cannot take gets the usage and exit 2 (see usage.ts).
import { isServiceName, SERVICE_NAMES, type ServiceName } from '../services/catalog.js';

export const DLQ_USAGE =
  `usage: dlq list <${SERVICE_NAMES.join('|')}> [--all] [--error <class>] [--json]\n` +
  '       dlq republish <service> <partition:offset>… | --all  [--again]\n' +
  '       dlq discard <service> <partition:offset>… --reason "<why>"\n' +
  '  list       the letters still waiting: position, key, event and user id, error, source, value preview\n' +
  '    --all      handled letters too, marked as such\n' +
  '    --error    only letters whose error class (dlq.error.type) is <class>\n' +
  '    --json     one JSON object per letter per line\n' +
  '  republish  back to their source topic, marked handled in the same transaction\n' +
  '    --all      every letter still waiting\n' +
  '    --again    also letters already handled (refused otherwise, exit 3)\n' +
  '  discard    marks letters handled without re-publishing them\n';

export type DlqCommand =
  | { readonly command: 'list'; readonly service: ServiceName; readonly all: boolean; readonly errorClass?: string; readonly json: boolean }
  | { readonly command: 'republish'; readonly service: ServiceName; readonly positions: readonly string[] | 'all-waiting'; readonly again: boolean }
  | { readonly command: 'discard'; readonly service: ServiceName; readonly positions: readonly string[]; readonly reason: string };

const POSITION = /^\d+:\d+$/;

/** The command, or the problem with the call. */
export function parseDlqArguments(args: readonly string[]): DlqCommand | { readonly problem: string } {
  const [command, service, ...rest] = args;
  if (!['list', 'republish', 'discard'].includes(command ?? '')) return { problem: command === undefined ? 'a command is needed' : `unknown command: ${command}` };
  if (!isServiceName(service)) return { problem: service === undefined ? 'a service is needed' : `unknown service: ${service}` };
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positions: string[] = [];
  const takesValue = new Set(['--error', '--reason']);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (takesValue.has(arg)) {
      const value = rest[++i];
      if (value === undefined || value.trim() === '') return { problem: `${arg} needs a value` };
      values.set(arg, value);
    } else if (arg.startsWith('--')) flags.add(arg);
    else if (POSITION.test(arg)) positions.push(arg);
    else return { problem: `not a dead letter's position (partition:offset): ${arg}` };
  }
  const allowed = { list: ['--all', '--json', '--error'], republish: ['--all', '--again'], discard: ['--reason'] }[command as DlqCommand['command']];
  const unknown = [...flags, ...values.keys()].filter((flag) => !allowed.includes(flag));
  if (unknown.length > 0) return { problem: `${command} does not take ${unknown.join(' ')}` };

  if (command === 'list') {
    if (positions.length > 0) return { problem: 'list takes no positions' };
    return { command, service, all: flags.has('--all'), json: flags.has('--json'), ...(values.has('--error') ? { errorClass: values.get('--error')! } : {}) };
  }
  if (command === 'republish') {
    if (flags.has('--all') === positions.length > 0) return { problem: 'republish takes positions or --all (not both)' };
    return { command, service, positions: flags.has('--all') ? 'all-waiting' : positions, again: flags.has('--again') };
  }
  if (positions.length === 0) return { problem: 'discard needs the positions of the letters' };
  const reason = values.get('--reason');
  if (reason === undefined) return { problem: 'discard needs --reason "<why>"' };
  return { command: 'discard', service, positions, reason };
}
