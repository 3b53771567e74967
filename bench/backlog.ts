// Services working through a backlog, each as a process started the way users start it: the
// worst case for their memory, since every batch, connection and prefetch is full. For each
// service (BENCH_BACKLOG_SERVICES: email, analytics and onboarding by default), runs
// alternate between the app's Node.js flags and the same flags without the old-generation
// limit, each on a topic of its own new users (the email ledger sends once per user), so the
// limit's cost and effect are measured side by side.
// Results: bench/results/backlog.json (the latest run only).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig, type Config } from '../src/config.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { createPool } from '../src/db/pool.js';
import type { ServiceName } from '../src/services/catalog.js';
import { sleep } from '../test/support/sleep.js';
import { cpuTicks, TICK_US, trackPeakRss } from './support/proc.js';
import { prefillSignups } from './support/signups.js';

const root = new URL('../', import.meta.url).pathname;
// Every welcome email is a real SMTP message and a file in the sink: fewer of them.
const RECORDS: Partial<Record<ServiceName, number>> = {
  email: Number(process.env.BENCH_BACKLOG_EMAILS ?? 30_000),
  analytics: Number(process.env.BENCH_BACKLOG_EVENTS ?? 100_000),
  onboarding: Number(process.env.BENCH_BACKLOG_EVENTS ?? 100_000),
};
// The tracker is not here: its input, the enrolment topic, is written only by onboarding.
const SERVICES = (process.env.BENCH_BACKLOG_SERVICES?.split(',') ?? Object.keys(RECORDS)) as ServiceName[];
const PAIRS = Number(process.env.BENCH_BACKLOG_PAIRS ?? 2);
const HTTP_PORT = 3151;
const run = randomUUID().slice(0, 8);
const logger = createLogger('warn', 'bench');

const WITH_LIMIT = 'the app flags';
const WITHOUT_LIMIT = 'the app flags without --max-old-space-size';
const VARIANTS = [
  { label: WITH_LIMIT, flags: [...APP_NODE_FLAGS] },
  { label: WITHOUT_LIMIT, flags: APP_NODE_FLAGS.filter((flag) => !flag.startsWith('--max-old-space-size')) },
] as const;

interface BacklogRun {
  readonly service: ServiceName;
  readonly flags: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** The service process's CPU time (all its threads) per record, start-up included. */
  readonly cpuUsPerRecord: number;
  readonly peakRssMb: number;
  readonly peakOwnRssMb: number;
}

async function main(): Promise<void> {
  const runs: BacklogRun[] = [];
  for (const service of SERVICES) {
    const records = RECORDS[service];
    if (records === undefined) throw new Error(`no backlog for ${service}: BENCH_BACKLOG_SERVICES takes ${Object.keys(RECORDS).join(', ')}`);
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const variant of VARIANTS) {
        const env = { ...process.env, LOG_LEVEL: 'info', SERVICE_HTTP_PORT: String(HTTP_PORT), ...topicsOf(`${run}-${runs.length}`) };
        const config = loadConfig(env);
        await prefill(config, records);
        runs.push({ service, flags: variant.label, ...(await workThrough(service, variant.flags, env, records)) });
        console.log(JSON.stringify(runs.at(-1)));
        if (service === 'analytics') await dropSchema(config);
      }
    }
  }
  const results = { date: new Date().toISOString(), node: process.version, smtpMaxConnections: loadConfig().mail.maxConnections, runs };
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/backlog.json`, `${JSON.stringify(results, null, 2)}\n`);
  console.log('results: bench/results/backlog.json');
}

function topicsOf(name: string): Record<string, string> {
  return { SIGNUP_TOPIC: `bench-backlog-${name}`, ONBOARDING_TOPIC: `bench-backlog-onb-${name}`, CONSUMER_GROUP_PREFIX: `bench-backlog-${name}.`, ANALYTICS_DB_SCHEMA: `bench_backlog_${name.replace(/\W/g, '_')}` };
}

/** `count` signups of new users on the run's own topic, its schemas registered first. */
async function prefill(config: Config, count: number): Promise<void> {
  const kafka = createKafka(config.kafka, logger);
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();
  await prefillSignups(kafka, config.registry, config.topics.signups.name, count, 'backlog');
}

/** The run's own analytics tables, 100,000 counted users each. */
async function dropSchema(config: Config): Promise<void> {
  const pool = createPool(config.database.url);
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
  } finally {
    await pool.end();
  }
}

/** Starts the service with `flags` and waits until it has handled `count` records (its own counter). */
async function workThrough(service: ServiceName, flags: readonly string[], env: NodeJS.ProcessEnv, count: number): Promise<Omit<BacklogRun, 'service' | 'flags'>> {
  const started = performance.now();
  const child = spawn(process.execPath, [...flags, 'dist/cli/consumer.js', service], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const rss = trackPeakRss(child.pid!);
  try {
    let handled = 0;
    let movedAt = performance.now();
    while (handled < count) {
      if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode} after ${handled} of ${count} records`);
      if (performance.now() - movedAt > 60_000) throw new Error(`${service} handled ${handled} of ${count} records and none for 60 s`);
      await sleep(100);
      const now = await handledSoFar();
      if (now !== handled) movedAt = performance.now();
      handled = now;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuUs = cpuTicks(child.pid!) * TICK_US;
    return {
      records: count,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(count / seconds),
      cpuUsPerRecord: Math.round(cpuUs / count),
      peakRssMb: Math.round(rss.peak() / 1024 / 1024),
      peakOwnRssMb: Math.round(rss.peakOwn() / 1024 / 1024),
    };
  } finally {
    rss.stop();
    child.kill('SIGTERM');
    await exited;
  }
}

/** The service's own counter of handled records, 0 while its HTTP listener is not up yet. */
async function handledSoFar(): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`).then(
    (response) => response.text(),
    () => '',
  );
  return text
    .split('\n')
    .filter((line) => line.startsWith('consumer_records_handled_total'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

await main();
process.exit(0);
