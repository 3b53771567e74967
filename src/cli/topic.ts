// Entry point of scripts/topic: any topic's records as JSON lines, values decoded.
//   topic dump <topic> [--partition P] [--from-offset O | --from-time <ISO>] [--limit N]
//   topic tail <topic> [--partition P] [--last N]
import { parseArgs } from 'node:util';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../logger.js';
import { recordAsJson, TopicViewer, type DumpStart, type ViewedRecord } from '../operations/topic-viewer.js';
import { createRegistryClient } from '../registry/client.js';
import { loadConfigOrExit } from './load-config.js';
import { exitWithUsage, wantsHelp } from './usage.js';

const usage =
  'usage: topic dump <topic> [--partition P] [--from-offset O | --from-time <ISO timestamp>] [--limit N] [--pretty] [--uncommitted]\n' +
  '       topic tail <topic> [--partition P] [--last N] [--pretty] [--uncommitted]\n' +
  '  dump           reads to the end of each partition as it is when its read starts, then exits\n' +
  '  tail           the last N records of each partition (default 0), then new ones until Ctrl-C\n' +
  '  --uncommitted  also records of aborted transactions (default: committed records only)\n' +
  'One JSON object per line: topic, partition, offset, timestamp, key, headers, schemaId, value\n' +
  '(or valueError with valueBytes and valueHex when the value cannot be decoded). No consumer group is used.\n';

const args = process.argv.slice(2);
if (wantsHelp(args)) exitWithUsage(usage, args);
let parsed;
try {
  parsed = parseArgs({
    args,
    allowPositionals: true,
    options: {
      partition: { type: 'string' },
      'from-offset': { type: 'string' },
      'from-time': { type: 'string' },
      limit: { type: 'string' },
      last: { type: 'string' },
      pretty: { type: 'boolean', default: false },
      uncommitted: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  exitWithUsage(usage, args, (error as Error).message);
}
const { values: flags, positionals } = parsed;
const [command, topic, ...extra] = positionals;
if ((command !== 'dump' && command !== 'tail') || topic === undefined || extra.length > 0) exitWithUsage(usage, args);

const count = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) exitWithUsage(usage, args, `--${flag} takes a whole number ≥ 0, not '${value}'`);
  return Number(value);
};
const partition = count('partition', flags.partition);
const fromOffset = count('from-offset', flags['from-offset']);
const limit = count('limit', flags.limit);
const last = count('last', flags.last);
if (command === 'tail' && (fromOffset !== undefined || flags['from-time'] !== undefined || limit !== undefined)) {
  exitWithUsage(usage, args, '--from-offset, --from-time and --limit are for dump');
}
if (command === 'dump' && last !== undefined) exitWithUsage(usage, args, '--last is for tail');
if (fromOffset !== undefined && flags['from-time'] !== undefined) exitWithUsage(usage, args, '--from-offset and --from-time exclude each other');
let start: DumpStart = fromOffset === undefined ? { kind: 'beginning' } : { kind: 'offset', offset: fromOffset };
if (flags['from-time'] !== undefined) {
  const at = new Date(flags['from-time']);
  if (Number.isNaN(at.getTime())) exitWithUsage(usage, args, `--from-time takes an ISO timestamp, not '${flags['from-time']}'`);
  start = { kind: 'time', at };
}

const config = loadConfigOrExit();
const admin = createKafka(config.kafka, createLogger('warn', 'topic')).admin();
const viewer = new TopicViewer(config.kafka, admin, createRegistryClient(config.registry), topic);
const show = (record: ViewedRecord) => process.stdout.write(`${recordAsJson(record, flags.pretty)}\n`);
const readCommitted = !flags.uncommitted;

await admin.connect();
try {
  if (command === 'dump') {
    await viewer.dump({ topic, partition, readCommitted, start, limit }, show);
  } else {
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
    await viewer.tail({ topic, partition, readCommitted, last: last ?? 0, signal: stop.signal }, (starts) => {
      const from = [...starts].map(([p, o]) => `${p}:${o}`).join(',');
      process.stderr.write(`following ${topic} from ${from} (Ctrl-C to stop)\n`);
    }, show);
  }
} catch (error) {
  process.stderr.write(`topic: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
