// A rolling restart of every consumer instance under a steady load, classic vs consumer
// group protocol: the API and two instances of each of the four services as processes (as a
// deployment runs them, logging at info), signups at a steady rate through the API, and every
// consumer instance restarted in turn as an orchestrator's rolling update does: SIGTERM, wait
// for the exit, start it again, wait until it is ready (/readyz: it has partitions), next.
// For every signup of the load: the latency from its event's timestamp (set by the API's
// producer) to each effect, all taken by the servers: the analytics row, the enrolment
// record (its timestamp), the tracker's row, the welcome email's ledger mark. And what was
// lost or done twice: users without an effect, emails received twice by the SMTP sink,
// enrolment records twice on the topic, counts above the users counted.
// Results: bench/results/rolling-restart.json and a section appended to docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.js';
import { environmentOf, loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { consumerGroups, SERVICE_NAMES } from '../src/services/catalog.js';
import { setGroupConfig } from '../test/support/kafka-tool.js';
import { receivedMail } from '../test/support/mail.js';
import { sleep } from '../test/support/sleep.js';
import { GROUP_PROTOCOL_VARIANTS, type GroupProtocolVariant } from './support/group-protocols.js';
import { waitForEffects } from './support/effects.js';
import { recordTimestamps, steadyLoad, summary, waitForHttp, type Summary } from './support/signups.js';

const root = new URL('../', import.meta.url).pathname;
const RATE = Number(process.env.BENCH_ROLL_RATE ?? 300);
const API_PORT = 3141;
const FIRST_SERVICE_PORT = 3150;
const INSTANCES = SERVICE_NAMES.flatMap((service) => [1, 2].map((n) => ({ service, key: `${service}-${n}` })));
const logger = createLogger('warn', 'bench');
// Every child ever started: none may outlive this run, even when it fails (the next run
// would find the ports taken and talk to them).
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Outcome {
  readonly label: string;
  readonly signups: number;
  readonly rollSeconds: number;
  readonly latencyMs: { readonly analytics: Summary; readonly onboardingEvent: Summary; readonly tracker: Summary; readonly email: Summary };
  readonly lost: { readonly analytics: number; readonly onboardingEvent: number; readonly tracker: number; readonly email: number };
  readonly twice: { readonly emails: number; readonly enrolments: number; readonly counts: number };
}

async function measure(variant: GroupProtocolVariant): Promise<Outcome> {
  const run = randomUUID().slice(0, 8);
  const config = loadConfig({
    ...process.env,
    SIGNUP_TOPIC: `bench-roll-${run}`,
    ONBOARDING_TOPIC: `bench-roll-onb-${run}`,
    CONSUMER_GROUP_PREFIX: `bench-roll-${run}.`,
    ANALYTICS_DB_SCHEMA: `bench_roll_${run}`,
    API_RATE_LIMIT_MAX: '0', // one load generator, one address
    LOG_LEVEL: 'info',
    CONSUMER_GROUP_PROTOCOL: variant.group.protocol,
  });
  const kafka = createKafka(config.kafka, logger);
  const pool = createPool(config.database.url);
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();
  if (variant.groupConfig) for (const group of Object.values(consumerGroups(config))) await setGroupConfig(group, variant.groupConfig);

  const env = { ...process.env, ...environmentOf(config) };
  const processes = new Map<string, ChildProcess>();
  const start = (key: string, args: string[], extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...APP_NODE_FLAGS, ...args], { cwd: root, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.add(child);
    child.on('error', (error) => console.error(`${key}: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') console.error(`${key} exited with ${code ?? signal}`);
    });
    processes.set(key, child);
    return child;
  };
  const servicePort = (i: number) => FIRST_SERVICE_PORT + i;
  const startInstance = (i: number) => start(INSTANCES[i]!.key, ['dist/cli/consumer.js', INSTANCES[i]!.service], { SERVICE_HTTP_PORT: String(servicePort(i)), INSTANCE_ID: INSTANCES[i]!.key });
  start('api', ['dist/cli/api.js'], { API_PORT: String(API_PORT) });
  INSTANCES.forEach((_, i) => startInstance(i));
  const startedAt = Date.now();
  try {
    await waitForHttp(`http://127.0.0.1:${API_PORT}/readyz`);
    for (const [i] of INSTANCES.entries()) await waitForHttp(`http://127.0.0.1:${servicePort(i)}/readyz`, 120_000);
    // Warm-up: every path has handled signups, connections are open.
    await waitForEffects(pool, config.analytics.dbSchema, await steadyLoad(API_PORT, 50, 2, `roll${run}w`), 120_000);

    let rolled = false;
    const loading = steadyLoad(API_PORT, RATE, 3600, `roll${run}`, () => rolled);
    await sleep(5000);
    const rollStartedAt = performance.now();
    for (const [i, { key }] of INSTANCES.entries()) {
      const old = processes.get(key)!;
      const exited = new Promise((resolve) => old.once('exit', resolve));
      old.kill('SIGTERM');
      await exited;
      startInstance(i);
      await waitForHttp(`http://127.0.0.1:${servicePort(i)}/readyz`, 120_000);
      console.error(`${variant.label}: ${key} restarted and ready after ${Math.round(performance.now() - rollStartedAt)} ms`);
    }
    const rollSeconds = Math.round((performance.now() - rollStartedAt) / 100) / 10;
    await sleep(5000);
    rolled = true;
    const sent = await loading;
    const effects = await waitForEffects(pool, config.analytics.dbSchema, sent, 180_000);
    const users = new Set(sent);
    const producedAt = await recordTimestamps(kafka, config.topics.signups.name, users);
    const enrolled = await recordTimestamps(kafka, config.topics.onboarding.name, users);
    const latency = (times: ReadonlyMap<string, number>) => summary(sent.filter((id) => times.has(id)).map((id) => times.get(id)! - producedAt.get(id)![0]!));
    const enrolledAt = new Map([...enrolled].map(([user, at]) => [user, at[0]!]));
    const recipients = new Set(sent.map((_, i) => `roll${run}_${i}@example.com`));
    const mails = receivedMail(startedAt, recipients);
    const perRecipient = new Map<string, number>();
    for (const mail of mails) perRecipient.set(mail.to, (perRecipient.get(mail.to) ?? 0) + 1);
    const { rows } = await pool.query<{ counted: string; summed: string }>(
      `SELECT (SELECT count(*) FROM ${config.analytics.dbSchema}.counted_users) AS counted, (SELECT coalesce(sum(signups), 0) FROM ${config.analytics.dbSchema}.signups_daily) AS summed`,
    );
    const missing = (times: ReadonlyMap<string, unknown>) => sent.filter((id) => !times.has(id)).length;
    return {
      label: variant.label,
      signups: sent.length,
      rollSeconds,
      latencyMs: { analytics: latency(effects.countedAt), onboardingEvent: latency(enrolledAt), tracker: latency(effects.trackedAt), email: latency(effects.emailedAt) },
      lost: { analytics: missing(effects.countedAt), onboardingEvent: missing(enrolledAt), tracker: missing(effects.trackedAt), email: missing(effects.emailedAt) },
      twice: {
        emails: [...perRecipient.values()].filter((n) => n > 1).length,
        enrolments: [...enrolled.values()].filter((at) => at.length > 1).length,
        counts: Number(rows[0]!.summed) - Number(rows[0]!.counted),
      },
    };
  } finally {
    for (const child of processes.values()) child.kill('SIGTERM');
    await Promise.all([...processes.values()].map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await pool.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
    await pool.end();
  }
}

function markdown(date: string, outcomes: readonly Outcome[]): string {
  const s = (x: Summary) => `${x.p99} / ${x.max}`;
  return [
    '',
    `## A rolling restart of every consumer instance under ${RATE} signups/s, classic vs consumer group protocol (${date})`,
    '',
    `The API and two instances of each service as processes logging at info; ${RATE} signups/s through the API from 5 s before the roll until 5 s after it. The eight consumer instances restarted one after another: SIGTERM, exit, start, ready (it has partitions), next. Latency from each signup's event timestamp to the effect, in milliseconds, p99 / max over every signup of the load. Group settings as in the join/leave table above.`,
    '',
    '| protocol | signups | roll s | analytics row | enrolment produced | tracker row | email sent | lost (analytics / enrolment / tracker / email) | twice (emails / enrolments / counts) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...outcomes.map(
      (o) =>
        `| ${o.label} | ${o.signups} | ${o.rollSeconds} | ${s(o.latencyMs.analytics)} | ${s(o.latencyMs.onboardingEvent)} | ${s(o.latencyMs.tracker)} | ${s(o.latencyMs.email)} | ${Object.values(o.lost).join(' / ')} | ${Object.values(o.twice).join(' / ')} |`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ROLL_ONLY?.split(',');
  const outcomes: Outcome[] = [];
  for (const variant of GROUP_PROTOCOL_VARIANTS) {
    if (only && !only.includes(variant.label)) continue;
    outcomes.push(await measure(variant));
    console.log(JSON.stringify(outcomes.at(-1)));
  }
  const date = new Date().toISOString();
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/rolling-restart.json`, `${JSON.stringify({ date, node: process.version, rate: RATE, outcomes }, null, 2)}\n`);
  appendFileSync(`${root}docs/BENCHMARKS.md`, markdown(date, outcomes));
  console.log('results: bench/results/rolling-restart.json, docs/BENCHMARKS.md');
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exit(1);
}
process.exit(0);
