// Entry point of scripts/replay: replay <service> [target] [--partitions p,…] [--execute [--wait]] [--force]
// kafka-consumer-groups --reset-offsets for a service's consumer group (see replay-args.ts):
// prints the move per partition, and makes it only with --execute, refusing while the group
// has live members. For analytics, a rebuild: its tables are cleared and it recounts both
// of its topics from the earliest offset (refused when retention has deleted the signups
// topic's beginning, unless --force). --wait shows progress until the (re)started service
// has caught up.
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type Pool } from '../db/pool.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../logger.js';
import { commitMove, groupProgress, planMove, positionsOf, ReplayRefusedError, requireIdleGroup } from '../operations/replay.js';
import { enrolmentTopic } from '../services/analytics/onboarding-started.js';
import { AnalyticsStore, OFFSET_BEGINNING } from '../services/analytics/store.js';
import { consumerGroups, serviceDefinition } from '../services/catalog.js';
import { loadConfigOrExit } from './load-config.js';
import { parseReplayArgs, REPLAY_USAGE } from './replay-args.js';
import { describeTarget, formatMoves, type TopicMoves } from './replay-table.js';
import { exitWithUsage, wantsHelp } from './usage.js';

const args = process.argv.slice(2);
const parsed = parseReplayArgs(args);
if (wantsHelp(args)) exitWithUsage(REPLAY_USAGE, args);
if ('problem' in parsed) exitWithUsage(REPLAY_USAGE, args, `replay: ${parsed.problem}`);
const { service, target, partitions, execute, wait, force } = parsed.options;

const config = loadConfigOrExit();
const logger = createLogger('warn', 'replay');
const kafka = createKafka(config.kafka, logger);
const admin = kafka.admin();
const group = consumerGroups(config)[service];
const definition = serviceDefinition(service);
const rebuild = service === 'analytics';

interface GroupInput {
  readonly topic: string;
  /** Where "the end" is the last stable offset. */
  readonly readCommitted: boolean;
}

// Analytics' one group reads the enrolment topic too (the funnel): a rebuild clears what
// it keeps from both, so both start over.
const inputs: GroupInput[] = [
  { topic: definition.input.topic(config.topics), readCommitted: definition.isolation === 'read_committed' },
  ...(rebuild ? [{ topic: enrolmentTopic(config.topics), readCommitted: true }] : []),
];

const now = new Date();
let pool: Pool | undefined;
await admin.connect();
try {
  if (rebuild) requireRebuildTarget();
  await requireIdleGroup(admin, group);
  const store = rebuild ? new AnalyticsStore((pool = createPool(config.database.url)), config.analytics.dbSchema) : undefined;
  // The stored positions are read from the tables as the service would create them: on a
  // schema it never ran on, its migrations create them empty (no position, no count).
  await store?.init();
  if (rebuild) await requireWholeHistory();
  const planAll = async (resumesAt?: (topic: string, partitions: readonly number[]) => Promise<Map<number, bigint>>): Promise<TopicMoves[]> =>
    Promise.all(
      inputs.map(async ({ topic, readCommitted }) => ({
        topic,
        moves: await planMove(admin, group, topic, target, { partitions, readCommitted, now, resumesAt: resumesAt && ((ps) => resumesAt(topic, ps)) }),
      })),
    );
  let planned = await planAll(store && ((topic, ps) => storedPositions(store, topic, ps)));
  process.stdout.write(`group ${group} ${describeTarget(target, now)}${partitions ? ` on partition(s) ${partitions.join(', ')}` : ''}:\n`);
  process.stdout.write(formatMoves(planned));
  if (!execute) {
    process.stdout.write('dry run: nothing changed; add --execute to move the group\n');
  } else {
    if (store) {
      // The group is checked again and moved while the emptied tables are still locked and
      // uncommitted: an instance that joined meanwhile makes the rebuild fail, not race.
      await store.clear(async () => {
        await requireIdleGroup(admin, group);
        // The stored positions are being emptied with the tables (and are locked with them).
        planned = await planAll(async () => new Map());
        for (const { topic, moves } of planned) await commitMove(kafka, group, topic, moves);
      });
      process.stdout.write(`analytics tables in schema ${config.analytics.dbSchema} cleared\n`);
    } else {
      for (const { topic, moves } of planned) await commitMove(kafka, group, topic, moves);
    }
    process.stdout.write(`group ${group} moved; start the ${service} service to replay\n`);
    if (wait) await showProgress(planned);
  }
} catch (error) {
  process.stderr.write(`replay: ${(error as Error).message}\n`);
  process.exitCode = error instanceof ReplayRefusedError ? 3 : 1;
} finally {
  await admin.disconnect();
  await pool?.end();
}

/** Analytics resumes where its own table says (a partition with no row starts at the beginning). */
async function storedPositions(store: AnalyticsStore, topic: string, partitions: readonly number[]): Promise<Map<number, bigint>> {
  const saved = await store.positions(group, topic, partitions);
  return new Map([...saved].filter(([, offset]) => offset !== OFFSET_BEGINNING).map(([partition, offset]) => [partition, BigInt(offset)]));
}

async function showProgress(moved: readonly TopicMoves[]): Promise<void> {
  for (;;) {
    let processed = 0n;
    let total = 0n;
    for (const { topic, moves } of moved) {
      const progress = await groupProgress(admin, config.kafka, group, topic, positionsOf(moves));
      processed += progress.processed;
      total += progress.total;
    }
    const percent = total === 0n ? 100 : Number((processed * 1000n) / total) / 10;
    process.stdout.write(`  ${processed}/${total} records (${percent}%)\n`);
    if (processed >= total) break;
    await sleep(2000);
  }
  process.stdout.write('caught up\n');
}

/** Analytics' counts cover its whole topics: a rebuild starts every partition at the earliest offset. */
function requireRebuildTarget(): void {
  if (target.kind !== 'earliest' || partitions !== undefined) {
    throw new ReplayRefusedError(
      'analytics keeps its positions with its counts, so a move is a rebuild (tables cleared, counted again): only --to-earliest on every partition, since its counts cover the whole topic',
    );
  }
}

/** …and only from offset 0, unless --force. */
async function requireWholeHistory(): Promise<void> {
  for (const { topic } of inputs) {
    const truncated = (await admin.fetchTopicOffsets(topic)).filter((w) => BigInt(w.low) > 0n);
    if (truncated.length === 0) continue;
    const where = truncated.map((w) => `${w.partition} starts at ${w.low}`).join(', ');
    if (!force) {
      throw new ReplayRefusedError(`${topic} no longer holds its whole history (${where}): a rebuild would count only what is left. Add --force to rebuild anyway.`);
    }
    process.stderr.write(`replay: WARNING: ${topic} no longer holds its whole history (${where}); the rebuilt analytics will miss every record before those offsets\n`);
  }
}
