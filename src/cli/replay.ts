// Entry point of scripts/replay: replay <service> [--to earliest|<ISO time>|p:o,…] [--wait]
// Moves the service's consumer group (refusing while it has live members); for analytics,
// a rebuild: its tables are cleared and it recounts from the earliest offset (refused when
// retention has deleted the topic's beginning, unless --force). --wait shows progress until
// the (re)started service has caught up.
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool } from '../db/pool.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../logger.js';
import { groupProgress, moveGroup, parseReplayTarget, plannedPositions, ReplayRefusedError, requireIdleGroup, type ReplayTarget } from '../operations/replay.js';
import { AnalyticsStore } from '../services/analytics/store.js';
import { consumerGroups, isServiceName, SERVICE_NAMES, serviceDefinition } from '../services/catalog.js';
import { loadConfigOrExit } from './load-config.js';
import { exitWithUsage, wantsHelp } from './usage.js';

const args = process.argv.slice(2);
const [service, ...rest] = args;
const usage =
  `usage: replay <${SERVICE_NAMES.join('|')}> [--to earliest|<ISO timestamp>|partition:offset[,…]] [--dry-run] [--wait] [--force]\n` +
  '  --to p:o,…  moves only the listed partitions; the others keep their positions\n' +
  '  --dry-run   shows where the group would move (and any refusal) without moving it\n';
if (wantsHelp(args) || !isServiceName(service)) exitWithUsage(usage, args);
const toIndex = rest.indexOf('--to');
const wait = rest.includes('--wait');
const force = rest.includes('--force');
const dryRun = rest.includes('--dry-run');

const config = loadConfigOrExit();
const logger = createLogger('warn', 'replay');
const kafka = createKafka(config.kafka, logger);
const admin = kafka.admin();
const group = consumerGroups(config)[service];
const { input } = serviceDefinition(service);
const topic = input.topic(config.topics);

await admin.connect();
try {
  const target = parseReplayTarget(toIndex >= 0 ? rest[toIndex + 1] : undefined);
  await requireIdleGroup(admin, group);
  if (service === 'analytics') await requireWholeHistory(target);
  let positions: Map<number, string>;
  if (dryRun) {
    positions = await plannedPositions(admin, topic, target);
    process.stdout.write(`dry run: group ${group} on ${topic} would move to ${describe(positions)}; nothing was changed\n`);
  } else if (service === 'analytics') {
    const pool = createPool(config.database.url);
    try {
      const store = new AnalyticsStore(pool, config.analytics.dbSchema);
      await store.init();
      // The group is checked again and moved while the emptied tables are still locked and
      // uncommitted: an instance that joined meanwhile makes the rebuild fail, not race.
      let moved: Map<number, string> | undefined;
      await store.clear(async () => {
        await requireIdleGroup(admin, group);
        moved = await moveGroup(kafka, admin, group, topic, target);
      });
      positions = moved!;
    } finally {
      await pool.end();
    }
    process.stdout.write(`analytics tables in schema ${config.analytics.dbSchema} cleared\n`);
  } else {
    positions = await moveGroup(kafka, admin, group, topic, target);
  }
  if (!dryRun) process.stdout.write(`group ${group} on ${topic} moved to ${describe(positions)}; start the ${service} service to replay\n`);
  if (wait && !dryRun) {
    for (;;) {
      const { processed, total } = await groupProgress(admin, config.kafka, group, topic, positions, { readCommitted: input.transactional });
      const percent = total === 0n ? 100 : Number((processed * 1000n) / total) / 10;
      process.stdout.write(`  ${processed}/${total} records (${percent}%)\n`);
      if (processed >= total) break;
      await sleep(2000);
    }
    process.stdout.write('caught up\n');
  }
} catch (error) {
  process.stderr.write(`replay: ${(error as Error).message}\n`);
  process.exitCode = error instanceof ReplayRefusedError ? 3 : 1;
} finally {
  await admin.disconnect();
}

function describe(positions: ReadonlyMap<number, string>): string {
  return [...positions].map(([partition, offset]) => `${partition}:${offset}`).join(', ');
}

/** Analytics' counts cover the whole topic: a rebuild starts at the earliest offset, and only from offset 0 unless --force. */
async function requireWholeHistory(target: ReplayTarget): Promise<void> {
  if (target.kind !== 'earliest') {
    throw new ReplayRefusedError('analytics can only be rebuilt from the earliest offset: its counts cover the whole topic');
  }
  const truncated = (await admin.fetchTopicOffsets(topic)).filter((w) => BigInt(w.low) > 0n);
  if (truncated.length === 0) return;
  const where = truncated.map((w) => `${w.partition} starts at ${w.low}`).join(', ');
  if (!force) {
    throw new ReplayRefusedError(`${topic} no longer holds its whole history (${where}): a rebuild would count only what is left. Add --force to rebuild anyway.`);
  }
  process.stderr.write(`replay: WARNING: ${topic} no longer holds its whole history (${where}); the rebuilt counts will miss every signup before those offsets\n`);
}
