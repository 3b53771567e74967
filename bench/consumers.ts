// Consumer throughput: a topic pre-filled with UserSignedUp events, read (1) decode-only, as
// fast as the client and the Avro decoder allow, and (2) through each service's whole
// handler path (decode + handle + commit), one instance each, on a fresh group. Analytics
// is measured against decode-only in back-to-back pairs: on this shared machine one
// decode-only run went from 86,000 to 173,000 events/s between runs of the same code. Each
// pair also runs a ceiling for analytics: decode, then store each batch's user ids and
// nothing else, the least a counter that counts every user once in PostgreSQL writes. Two
// warm-up rounds of all three, untimed, come first: decode-only reached its steady CPU per
// event (6-7 µs) only from its third run on, its first two took 11-15 µs (four runs of
// three pairs after one warm-up round), and a slow decode-only favoured its pair's ratio.
// Results: bench/results/consumers.json (the latest run only) and a section appended to docs/BENCHMARKS.md.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { loadConfig } from '../src/config.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { loadSchemaHistory } from '../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../src/events/user-signed-up.js';
import { createPool } from '../src/db/pool.js';
import { createKafka } from '../src/kafka/client.js';
import { AvroDecoder } from '../src/kafka/consumer/avro-decoder.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { ANALYTICS_PARTITIONS_CONCURRENTLY } from '../src/services/analytics/wiring.js';
import type { ServiceName } from '../src/services/catalog.js';
import { startService, type RunningService } from '../src/services/start-service.js';
import { sleep } from '../test/support/sleep.js';
import { cpuTicksOfCommand, TICK_US } from './support/proc.js';
import { prefillSignups } from './support/signups.js';

const root = new URL('../', import.meta.url).pathname;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
// Every welcome email is a real SMTP message and a file in the sink: fewer of them.
const EMAIL_EVENTS = Number(process.env.BENCH_EMAIL_EVENTS ?? 20_000);
// SMTP connections of the email service: its default, for a mail server of unknown
// capacity, and the local stack's setting for its sink (scripts/stack).
const EMAIL_CONNECTIONS = [32, 256] as const;
// Pairs of a decode-only and an analytics run, each pair on fresh groups and tables.
const ANALYTICS_PAIRS = Number(process.env.BENCH_ANALYTICS_PAIRS ?? 5);
const run = randomUUID().slice(0, 8);
const base = { ...process.env, LOG_LEVEL: 'warn', ANALYTICS_DB_SCHEMA: `bench_${run}` };
const config = loadConfig({ ...base, SIGNUP_TOPIC: `bench-consume-${run}`, ONBOARDING_TOPIC: `bench-consume-onb-${run}`, CONSUMER_GROUP_PREFIX: `bench-${run}.` });
/** Round `n` of the analytics runs (the warm-up's, or a pair's): the same topic, its own group and tables (a user counted before is not counted again). */
const analyticsConfig = (n: string) =>
  loadConfig({ ...base, ANALYTICS_DB_SCHEMA: `bench_${run}_${n}`, SIGNUP_TOPIC: config.topics.signups.name, ONBOARDING_TOPIC: config.topics.onboarding.name, CONSUMER_GROUP_PREFIX: `bench-${run}.${n}.` });
// Each its own topic of other users: the welcome-email ledger would skip users sent to before.
const emailConfigs = EMAIL_CONNECTIONS.map((connections) =>
  loadConfig({ ...base, SMTP_MAX_CONNECTIONS: String(connections), SIGNUP_TOPIC: `bench-consume-mail${connections}-${run}`, ONBOARDING_TOPIC: `bench-consume-mail${connections}-onb-${run}`, CONSUMER_GROUP_PREFIX: `bench-${run}.mail${connections}.` }),
);
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);
const admin = kafka.admin();

async function main(): Promise<void> {
  await admin.connect();
  for (const c of [config, ...emailConfigs]) {
    await registerSchemas({ registry: createRegistryClient(c.registry), admin, catalog: eventCatalog(c), topics: topicCatalog(c) });
  }
  const fill = await prefillSignups(kafka, config.registry, config.topics.signups.name, EVENTS, 'fill');
  for (const c of emailConfigs) await prefillSignups(kafka, c.registry, c.topics.signups.name, EMAIL_EVENTS, 'fill');
  const services: Array<{ service: ServiceName; label: string; events: number } & Awaited<ReturnType<typeof handlerRate>>> = [];
  const only = process.env.BENCH_ONLY?.split(',');
  const selected = (service: ServiceName) => !only || only.includes(service);
  const ratio = (a: { eventsPerSecond: number }, b: { eventsPerSecond: number }) => Math.round((a.eventsPerSecond / b.eventsPerSecond) * 100) / 100;
  const pairs: Array<{ decodeOnly: ConsumeRate; userIds: ConsumeRate; analytics: Awaited<ReturnType<typeof handlerRate>>; ratio: number; userIdsRatio: number }> = [];
  const analyticsRound = async (n: string) => {
    const decodeOnly = await decodeOnlyRate(config.topics.signups.name, EVENTS, `bench-decode-${run}-${n}`);
    const analytics = await handlerRate('analytics', analyticsConfig(n), EVENTS);
    const userIds = await userIdsRate(config.topics.signups.name, EVENTS, `bench-userids-${run}-${n}`);
    return { decodeOnly, userIds, analytics, ratio: ratio(analytics, decodeOnly), userIdsRatio: ratio(userIds, decodeOnly) };
  };
  for (const n of selected('analytics') ? ['warm0', 'warm1'] : []) console.log(JSON.stringify({ warmUp: await analyticsRound(n) }));
  for (let n = 0; n < (selected('analytics') ? ANALYTICS_PAIRS : 0); n++) {
    pairs.push(await analyticsRound(`pair${n}`));
    console.log(JSON.stringify(pairs.at(-1)));
  }
  // The pair with the median ratio stands for both rows of the table.
  const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)];
  const decodeOnly = median?.decodeOnly ?? (await decodeOnlyRate(config.topics.signups.name, EVENTS, `bench-decode-${run}`));
  if (median) services.push({ service: 'analytics', label: 'analytics', events: EVENTS, ...median.analytics });
  // The tracker reads the enrolment topic, which only onboarding writes (one Kafka transaction
  // per polled batch, as in production; a read_committed reader sees nothing else). When
  // onboarding is not measured in this run, it still fills that topic first, untimed:
  // otherwise the tracker would wait for ever on an empty topic.
  if (selected('onboarding-tracker') && !selected('onboarding')) await feedEnrolments(config, EVENTS);
  for (const [service, label, cfg, events] of [
    ['onboarding', 'onboarding', config, EVENTS],
    ['onboarding-tracker', 'onboarding-tracker', config, EVENTS],
    ...emailConfigs.map((c) => ['email', `email (SMTP_MAX_CONNECTIONS=${c.mail.maxConnections})`, c, EMAIL_EVENTS] as const),
  ] as const) {
    if (!selected(service)) continue;
    services.push({ service, label, events, ...(await handlerRate(service, cfg, events)) });
    console.log(JSON.stringify(services.at(-1)));
  }
  const results = { date: new Date().toISOString(), node: process.version, prefill: fill, decodeOnly, services, analyticsPairs: pairs.map((p) => ({ decodeOnlyPerSecond: p.decodeOnly.eventsPerSecond, analyticsPerSecond: p.analytics.eventsPerSecond, ratio: p.ratio, userIdsPerSecond: p.userIds.eventsPerSecond, userIdsRatio: p.userIdsRatio })) };
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/consumers.json`, `${JSON.stringify(results, null, 2)}\n`);
  const row = (path: string, r: { eventsPerSecond: number; cpuPerEvent: { consumerUs: number; postgresUs: number; javaUs: number } }) =>
    `| ${path} | ${r.eventsPerSecond} | ${r.cpuPerEvent.consumerUs} | ${r.cpuPerEvent.postgresUs} | ${r.cpuPerEvent.javaUs} |`;
  appendFileSync(
    `${root}docs/BENCHMARKS.md`,
    [
      '',
      `## Consumers (${results.date}, one instance each, ${EVENTS.toLocaleString('en')} pre-filled events; email ${EMAIL_EVENTS.toLocaleString('en')})`,
      '',
      'CPU per event: microseconds of CPU time spent by the consumer process, by PostgreSQL and by the JVMs (Kafka broker, registry) during the run, divided by the events.',
      '',
      '| path | events/s | consumer µs/event | PostgreSQL µs/event | Kafka + registry µs/event |',
      '| --- | --- | --- | --- | --- |',
      row('decode-only (consume + Avro decode against the registry, no commit)', decodeOnly),
      ...(median ? [row(`ceiling for analytics: decode + insert each batch's user ids, nothing else (${ANALYTICS_PARTITIONS_CONCURRENTLY} partitions in flight, no commit)`, median.userIds)] : []),
      ...services.map((s) => row(`${s.label}: decode + handle + commit`, s)),
      '',
      ...(median
        ? [
            `analytics / decode-only: ${median.ratio.toFixed(2)}, the median of ${pairs.length} back-to-back pairs of runs after two untimed warm-up rounds (${pairs.map((p) => `${p.analytics.eventsPerSecond} / ${p.decodeOnly.eventsPerSecond} = ${p.ratio.toFixed(2)}`).join('; ')}); the decode-only, ceiling and analytics rows above are that pair's.`,
            '',
            `ceiling / decode-only, run after each pair: ${pairs.map((p) => p.userIdsRatio.toFixed(2)).join(', ')}.`,
          ]
        : ['analytics / decode-only: not run']),
      '',
    ].join('\n'),
  );
  console.log('results: bench/results/consumers.json, docs/BENCHMARKS.md');
}

type ConsumeRate = Awaited<ReturnType<typeof consumeRate>>;

/** Consume + decode as fast as the client and the decoder allow: the whole topic in batches as large as fetched, one at a time. */
function decodeOnlyRate(topic: string, count: number, groupId: string) {
  const decoder = signupDecoder(topic);
  return consumeRate(topic, count, groupId, { maxBatchSize: -1, partitionsConsumedConcurrently: 1 }, async (messages) => {
    for (const message of messages) await decoder.decode(message.value);
  });
}

/**
 * Decode, then insert the batch's user ids into a table of its own (a user seen before adds
 * nothing), with analytics' batch size and partitions in flight: no aggregates, no positions.
 */
async function userIdsRate(topic: string, count: number, groupId: string) {
  const decoder = signupDecoder(topic);
  const pool = createPool(config.database.url);
  const table = `public.bench_user_ids_${groupId.replace(/[^a-z0-9]/g, '_')}`;
  await pool.query(`CREATE TABLE ${table} (user_id uuid PRIMARY KEY)`);
  try {
    return await consumeRate(topic, count, groupId, { maxBatchSize: config.consumers.maxBatchSize, partitionsConsumedConcurrently: ANALYTICS_PARTITIONS_CONCURRENTLY }, async (messages) => {
      const userIds: string[] = [];
      for (const message of messages) userIds.push(((await decoder.decode(message.value)) as { userId: string }).userId);
      await pool.query(`INSERT INTO ${table} (user_id) SELECT unnest($1::uuid[]) ON CONFLICT (user_id) DO NOTHING`, [userIds]);
    });
  } finally {
    await pool.query(`DROP TABLE ${table}`);
    await pool.end();
  }
}

function signupDecoder(topic: string) {
  return new AvroDecoder(createRegistryClient(config.registry), `${topic}-value`, loadSchemaHistory(USER_SIGNED_UP).latest.schema);
}

/** Reads `count` records of `topic` on a new group, without committing, through `handle`; timed from the first batch. */
async function consumeRate(
  topic: string,
  count: number,
  groupId: string,
  settings: { maxBatchSize: number; partitionsConsumedConcurrently: number },
  handle: (messages: KafkaJS.KafkaMessage[]) => Promise<void>,
) {
  const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false }, 'js.consumer.max.batch.size': settings.maxBatchSize });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  let seen = 0;
  let started = 0;
  let cpu: CpuMeter | undefined;
  await new Promise<void>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      eachBatch: async ({ batch }) => {
        if (started === 0) {
          started = performance.now(); // from the first record, not the group join
          cpu = cpuMeter();
        }
        await handle(batch.messages);
        seen += batch.messages.length;
        if (seen >= count) resolve();
      },
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuPerEvent = cpu!.perEvent(seen);
  await consumer.disconnect();
  return { events: seen, seconds, eventsPerSecond: Math.round(seen / seconds), cpuPerEvent };
}

async function handlerRate(service: ServiceName, cfg: typeof config, count: number) {
  const running = await startService(service, cfg, logger);
  let started = 0;
  let cpu: CpuMeter | undefined;
  await untilHandled(running, count, () => {
    started = performance.now();
    cpu = cpuMeter();
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuPerEvent = cpu!.perEvent(count);
  const batches = await meanBatch(running);
  await running.stop();
  return { seconds, eventsPerSecond: Math.round(count / seconds), cpuPerEvent, ...(batches === undefined ? {} : { meanBatch: batches }) };
}

/** Runs onboarding over the pre-filled signups, untimed, so that the enrolment topic holds one committed enrolment per signup. */
async function feedEnrolments(cfg: typeof config, count: number): Promise<void> {
  const started = performance.now();
  const running = await startService('onboarding', cfg, logger);
  await untilHandled(running, count);
  await running.stop(); // the batch in hand commits its transaction before the consumer leaves
  console.log(JSON.stringify({ enrolmentsFed: count, seconds: (performance.now() - started) / 1000 }));
}

/**
 * Polls the service's own counter of handled records every 10 ms (committed offsets would
 * be up to the auto-commit interval late) until `count`; `onFirst` runs when the first
 * record is handled. Fails when nothing moves for a minute: an input holding fewer records
 * than expected would otherwise keep the run waiting for ever.
 */
async function untilHandled(running: RunningService, count: number, onFirst?: () => void): Promise<void> {
  const handled = running.metrics.getSingleMetric('consumer_records_handled_total')!;
  const handledSoFar = async () => (await handled.get()).values.reduce((sum, v) => sum + v.value, 0);
  let last = 0;
  let movedAt = performance.now();
  for (;;) {
    const done = await handledSoFar();
    if (last === 0 && done > 0) onFirst?.();
    if (done !== last) movedAt = performance.now();
    last = done;
    if (done >= count) return;
    if (performance.now() - movedAt > 60_000) throw new Error(`${running.name}: ${done} of ${count} records handled, none for 60 s`);
    await sleep(10);
  }
}

/** Records per handler call: batch services time one call per polled batch. */
async function meanBatch(running: RunningService): Promise<number | undefined> {
  // A histogram's values carry the name of their series (_bucket, _sum, _count); a counter's carry none.
  const sum = async (name: string, series?: string) =>
    (await running.metrics.getSingleMetric(name)!.get()).values
      .filter((v) => series === undefined || (v as { metricName?: string }).metricName === series)
      .reduce((total, v) => total + v.value, 0);
  const calls = await sum('consumer_handler_duration_seconds', 'consumer_handler_duration_seconds_count');
  const records = await sum('consumer_records_handled_total');
  return calls > 0 ? Math.round((records / calls) * 10) / 10 : undefined;
}

type CpuMeter = ReturnType<typeof cpuMeter>;

/**
 * CPU time spent by this process (the consumer), by PostgreSQL and by the JVMs (Kafka, the
 * registry) between now and perEvent(): where each event's cost goes on a shared machine.
 */
function cpuMeter() {
  const own = process.cpuUsage();
  const postgres = cpuTicksOfCommand('postgres');
  const java = cpuTicksOfCommand('java');
  return {
    perEvent(events: number) {
      const used = process.cpuUsage(own);
      const us = (value: number) => Math.round((value / events) * 100) / 100;
      return { consumerUs: us(used.user + used.system), postgresUs: us((cpuTicksOfCommand('postgres') - postgres) * TICK_US), javaUs: us((cpuTicksOfCommand('java') - java) * TICK_US) };
    },
  };
}

await main();
await admin.disconnect();
process.exit(0);
