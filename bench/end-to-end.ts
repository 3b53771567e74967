// End-to-end latency and memory of the whole system under a moderate steady load: the API
// and the four consumer services as their own processes (as scripts/up runs them, logging at
// info), signups sent at a fixed rate. For each signup, how long from its event's timestamp
// (set by the API's producer, just before the 201) until the analytics service counted it
// (counted_users.counted_at) and until the onboarding tracker, a read_committed reader of
// the onboarding topic, recorded the enrolment (onboarding_state.recorded_at). Every time
// is taken by a server, not by this load generator, whose own event loop lags under load.
// Also the peak RSS of every process meanwhile.
// Results: bench/results/end-to-end.json (the latest run only) and a section appended to docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { SERVICE_NAMES } from '../src/services/catalog.js';
import { sleep } from '../test/support/sleep.js';
import { cpuTicks, TICK_US, trackPeakRss } from './support/proc.js';
import { recordTimestamps, steadyLoad, summary, waitForHttp, type Summary } from './support/signups.js';

const root = new URL('../', import.meta.url).pathname;
// Signups per second of each phase: a moderate load, then one near what this machine sustains.
const RATES = (process.env.BENCH_E2E_RATES ?? '100,300').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 20);
const API_PORT = 3121;
const run = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  SIGNUP_TOPIC: `bench-e2e-${run}`,
  ONBOARDING_TOPIC: `bench-e2e-onb-${run}`,
  CONSUMER_GROUP_PREFIX: `bench-e2e-${run}.`,
  ANALYTICS_DB_SCHEMA: `bench_e2e_${run}`,
  API_PORT: String(API_PORT),
  API_RATE_LIMIT_MAX: '0', // one load generator, one address
  SERVICE_HTTP_PORT: '0',
  LOG_LEVEL: 'info',
};
const config = loadConfig(env);
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);
const pool = createPool(config.database.url);


async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();

  const processes = new Map<string, ChildProcess>([['api', start(['dist/cli/api.js'])], ...SERVICE_NAMES.map((s) => [s, start(['dist/cli/consumer.js', s])] as const)]);
  const tracked = new Map([...processes].map(([name, child]) => [name, trackProcess(child.pid!)]));
  try {
    await waitForHttp(`http://127.0.0.1:${API_PORT}/readyz`);
    // Warm-up until every path has handled a signup: groups joined, connections open, JIT warm.
    await waitForEffects(await steadyLoad(API_PORT, 50, 1, `e2e${run}w`), 60_000);

    const phases = [];
    for (const rate of RATES) {
      for (const t of tracked.values()) t.mark();
      const sent = await steadyLoad(API_PORT, rate, SECONDS, `e2e${run}r${rate}`);
      const effects = await waitForEffects(sent, 120_000);
      const processesUsage = Object.fromEntries([...tracked].map(([name, t]) => [name, t.usage()]));
      const producedAt = firstOf(await recordTimestamps(kafka, config.topics.signups.name, new Set(sent)));
      const enrolledAt = firstOf(await recordTimestamps(kafka, config.topics.onboarding.name, new Set(sent)));
      const from = (times: ReadonlyMap<string, number>) => summary(sent.map((id) => times.get(id)! - producedAt.get(id)!));
      phases.push({
        rate,
        signups: sent.length,
        analyticsRowMs: from(effects.countedAt),
        onboardingEventMs: from(enrolledAt),
        onboardingTrackedMs: from(effects.trackedAt),
        processes: processesUsage,
      });
      console.log(JSON.stringify(phases.at(-1)));
    }
    const results = { date: new Date().toISOString(), node: process.version, settings: { seconds: SECONDS, logLevel: 'info', partitions: config.topics.signups.partitions }, phases };
    mkdirSync(`${root}bench/results`, { recursive: true });
    writeFileSync(`${root}bench/results/end-to-end.json`, `${JSON.stringify(results, null, 2)}\n`);
    appendFileSync(`${root}docs/BENCHMARKS.md`, markdown(results.date, phases));
    console.log('results: bench/results/end-to-end.json, docs/BENCHMARKS.md');
  } finally {
    for (const t of tracked.values()) t.stop();
    for (const child of processes.values()) child.kill('SIGTERM');
    await Promise.all([...processes.values()].map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await pool.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
    await pool.end();
  }
}

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code) console.error(`${args.join(' ')} exited with ${code ?? signal}`);
  });
  return child;
}

async function waitForEffects(users: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The services create their tables when they start: until then, "not yet".
    const [counted, tracked] = await Promise.all([
      pool.query<{ user_id: string; at: Date }>(`SELECT user_id, counted_at AS at FROM ${config.analytics.dbSchema}.counted_users WHERE user_id = ANY($1)`, [users]).catch(() => ({ rows: [] })),
      pool.query<{ user_id: string; at: Date }>('SELECT user_id, recorded_at AS at FROM onboarding_state WHERE user_id = ANY($1)', [users]).catch(() => ({ rows: [] })),
    ]);
    if (counted.rows.length === users.length && tracked.rows.length === users.length) {
      const times = (rows: Array<{ user_id: string; at: Date }>) => new Map(rows.map((r) => [r.user_id, r.at.getTime()]));
      return { countedAt: times(counted.rows), trackedAt: times(tracked.rows) };
    }
    if (Date.now() > deadline) throw new Error(`effects incomplete after ${timeoutMs} ms: ${counted.rows.length} counted, ${tracked.rows.length} tracked of ${users.length}`);
    await sleep(250);
  }
}

const firstOf = (times: ReadonlyMap<string, number[]>) => new Map([...times].map(([user, at]) => [user, at[0]!]));

/** Peak RSS and CPU share (of one core) of a process from now until stop(). */
function trackProcess(pid: number) {
  const rss = trackPeakRss(pid);
  let startTicks = 0;
  let startedAt = 0;
  return {
    /** Starts the CPU measurement (after the warm-up). */
    mark: () => {
      startTicks = cpuTicks(pid);
      startedAt = performance.now();
    },
    /** Peak RSS so far; CPU since mark(). */
    usage: () => ({ peakRssMb: Math.round(rss.peak() / 1024 / 1024), cpuPercent: Math.round(((cpuTicks(pid) - startTicks) * (TICK_US / 1000) * 100) / (performance.now() - startedAt)) }),
    stop: () => void rss.stop(),
  };
}

type Phase = { rate: number; signups: number; analyticsRowMs: Summary; onboardingEventMs: Summary; onboardingTrackedMs: Summary; processes: Record<string, { peakRssMb: number; cpuPercent: number }> };

function markdown(date: string, phases: Phase[]): string {
  const names = Object.keys(phases[0]!.processes);
  return [
    '',
    `## End to end (${date}): the API and the four services as processes logging at info, ${SECONDS} s of steady load per rate`,
    '',
    "Latency from the signup event's timestamp (its produce by the API, just before the 201) to each effect, both times taken by the servers, in milliseconds (p50 / p99 / max):",
    '',
    '| signups/s | analytics row counted | onboarding event produced | onboarding recorded by the read_committed tracker |',
    '| --- | --- | --- | --- |',
    ...phases.map((p) => `| ${p.rate} | ${[p.analyticsRowMs, p.onboardingEventMs, p.onboardingTrackedMs].map((s) => `${s.p50} / ${s.p99} / ${s.max}`).join(' | ')} |`),
    '',
    'Each process during the phase: CPU time as a share of one core (the machine has two), and peak RSS since start:',
    '',
    `| signups/s | ${names.map((n) => `${n} CPU % / RSS MB`).join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    ...phases.map((p) => `| ${p.rate} | ${names.map((n) => `${p.processes[n]!.cpuPercent} / ${p.processes[n]!.peakRssMb}`).join(' | ')} |`),
    '',
  ].join('\n');
}

await main();
process.exit(0);
