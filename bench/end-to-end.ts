// End-to-end latency and memory of the whole system under a moderate steady load: the API
// and the four consumer services as their own processes (as scripts/up runs them, logging at
// info), signups sent at a fixed rate; for each 201, how long until the analytics row
// (counted_users.counted_at) and the onboarding event (seen by a read_committed reader)
// exist; and the peak RSS of every process meanwhile.
// Results: bench/results/end-to-end-<time>.json and a section appended to docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { SERVICE_NAMES } from '../src/services/start-service.js';

const root = new URL('../', import.meta.url).pathname;
const RATE = Number(process.env.BENCH_E2E_RATE ?? 300);
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
  SERVICE_HTTP_PORT: '0',
  LOG_LEVEL: 'info',
};
const config = loadConfig(env);
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);
const pool = createPool(config.database.url);

interface Sent {
  readonly userId: string;
  readonly createdAt: number;
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();

  const processes = new Map<string, ChildProcess>([['api', start(['dist/cli/api.js'])], ...SERVICE_NAMES.map((s) => [s, start(['dist/cli/consumer.js', s])] as const)]);
  const peaks = new Map([...processes].map(([name, child]) => [name, trackPeakRss(child.pid!)]));
  const onboardedAt = new Map<string, number>();
  const reader = await readOnboardingEvents(onboardedAt);
  try {
    await waitForHttp(`http://127.0.0.1:${API_PORT}/readyz`);
    // Warm-up until every path has handled a signup: groups joined, connections open, JIT warm.
    const warmUp = await steadyLoad(50, 1);
    await waitForEffects(warmUp, onboardedAt, 60_000);

    const sent = await steadyLoad(RATE, SECONDS);
    const effects = await waitForEffects(sent, onboardedAt, 120_000);
    const analyticsMs = sent.map((s) => effects.countedAt.get(s.userId)! - s.createdAt);
    const onboardingMs = sent.map((s) => onboardedAt.get(s.userId)! - s.createdAt);
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      settings: { rate: RATE, seconds: SECONDS, logLevel: 'info', partitions: config.topics.signups.partitions },
      signups: sent.length,
      analyticsRowMs: summary(analyticsMs),
      onboardingEventMs: summary(onboardingMs),
      peakRssMb: Object.fromEntries([...peaks].map(([name, peak]) => [name, Math.round(peak.stop() / 1024 / 1024)])),
    };
    mkdirSync(`${root}bench/results`, { recursive: true });
    const stamp = results.date.replace(/[:.]/g, '-');
    writeFileSync(`${root}bench/results/end-to-end-${stamp}.json`, `${JSON.stringify(results, null, 2)}\n`);
    appendFileSync(`${root}docs/BENCHMARKS.md`, markdown(results));
    console.log(JSON.stringify(results));
    console.log(`results: bench/results/end-to-end-${stamp}.json, docs/BENCHMARKS.md`);
  } finally {
    await reader.disconnect();
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

/** Sends `rate` signups per second for `seconds`, each without waiting for the previous one. */
async function steadyLoad(rate: number, seconds: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  const failures: number[] = [];
  const requests: Promise<void>[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = startedAt + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const name = `e2e${run}_${i}`;
    requests.push(
      fetch(`http://127.0.0.1:${API_PORT}/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `${name}@example.com`, username: name }) }).then(
        async (response) => {
          const createdAt = Date.now();
          if (response.status !== 201) return void failures.push(response.status);
          sent.push({ userId: (await response.json()).userId, createdAt });
        },
        () => void failures.push(0),
      ),
    );
  }
  await Promise.all(requests);
  if (failures.length > 0) throw new Error(`${failures.length} signups were not accepted (statuses ${[...new Set(failures)].join(', ')})`);
  return sent;
}

/** A read_committed reader of the onboarding topic: when each user's enrolment became visible. */
async function readOnboardingEvents(seen: Map<string, number>) {
  const consumer = kafka.consumer({
    kafkaJS: { groupId: `bench-e2e-reader-${run}`, fromBeginning: true, readUncommitted: false },
    // An empty fetch returns after 5 ms, not librdkafka's 500: the reader adds no latency of its own.
    'fetch.wait.max.ms': 5,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topics.onboarding.name] });
  void consumer.run({
    eachMessage: async ({ message }: KafkaJS.EachMessagePayload) => {
      const userId = message.key?.toString();
      if (userId && !seen.has(userId)) seen.set(userId, Date.now());
    },
  });
  return consumer;
}

async function waitForEffects(sent: Sent[], onboardedAt: Map<string, number>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const ids = sent.map((s) => s.userId);
  for (;;) {
    const { rows } = await pool
      .query<{ user_id: string; counted_at: Date }>(`SELECT user_id, counted_at FROM ${config.analytics.dbSchema}.counted_users WHERE user_id = ANY($1)`, [ids])
      .catch(() => ({ rows: [] })); // the analytics service creates the table when it starts
    const onboarded = ids.filter((id) => onboardedAt.has(id)).length;
    if (rows.length === ids.length && onboarded === ids.length) return { countedAt: new Map(rows.map((r) => [r.user_id, r.counted_at.getTime()])) };
    if (Date.now() > deadline) throw new Error(`effects incomplete after ${timeoutMs} ms: ${rows.length} analytics rows, ${onboarded} onboarding events of ${ids.length}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready within 60 s`);
}

function trackPeakRss(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]) * 1024);
    } catch {
      // the process has exited
    }
  }, 200);
  return { stop: () => (clearInterval(timer), peak) };
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50: at(50), p99: at(99), max: sorted.at(-1)! };
}

function markdown(results: { date: string; signups: number; analyticsRowMs: ReturnType<typeof summary>; onboardingEventMs: ReturnType<typeof summary>; peakRssMb: Record<string, number> }): string {
  return [
    '',
    `## End to end (${results.date}): ${RATE} signups/s for ${SECONDS} s, API and the four services as processes logging at info`,
    '',
    `Latency from the 201 to the effect, over ${results.signups} signups (milliseconds; clocks of one machine):`,
    '',
    '| effect | p50 | p99 | max |',
    '| --- | --- | --- | --- |',
    `| analytics row counted (counted_at) | ${results.analyticsRowMs.p50} | ${results.analyticsRowMs.p99} | ${results.analyticsRowMs.max} |`,
    `| onboarding event visible to a read_committed reader | ${results.onboardingEventMs.p50} | ${results.onboardingEventMs.p99} | ${results.onboardingEventMs.max} |`,
    '',
    'Peak RSS during the run (MB):',
    '',
    `| ${Object.keys(results.peakRssMb).join(' | ')} |`,
    `| ${Object.keys(results.peakRssMb).map(() => '---').join(' | ')} |`,
    `| ${Object.values(results.peakRssMb).join(' | ')} |`,
    '',
  ].join('\n');
}

await main();
process.exit(0);
