// The signup-path benchmark, all in one run so that ratios hold on a noisy 2-core machine:
// our API (default log level, and warn), the tutorial as written (Express + kafkajs + JSON),
// its idempotent-producer variant and the bare-Fastify ceiling at several concurrencies;
// the raw producer ceiling; one-at-a-time latency; the API's peak RSS.
// Servers run pinned to CPU 0, this load generator to CPU 1 (scripts/bench does the pinning).
// Results: bench/results/signup.json (the latest run only) and docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { loadSchemaHistory } from '../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../src/events/user-signed-up.js';
import { createKafka } from '../src/kafka/client.js';
import { createIdempotentProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/logger.js';
import { AvroEncoder } from '../src/registry/avro-encoder.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { registeredSchemaId } from '../src/registry/schema-id.js';
import { sleep } from '../test/support/sleep.js';
import { cpuTicks, TICK_US, trackPeakRss } from './support/proc.js';

const root = new URL('../', import.meta.url).pathname;
const CONCURRENCIES = [1, 16, 64, 256];
const OURS = 'signup-pipeline';
const TUTORIAL = 'tutorial as written';
const BARE_LOGGED = 'bare fastify, one log line per request';
const LINGER = 'signup-pipeline, PRODUCER_LINGER_MS=1';
const ONE_PRODUCE = 'bare fastify + one produce, one log line per request';
/** A server under test: the row it fills, its port, its entry point and settings, and where it answers when ready. */
interface System {
  readonly system: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly readyPath: string;
}
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const run = randomUUID().slice(0, 8);
const config = loadConfig({ ...process.env, SIGNUP_TOPIC: `bench-signups-${run}`, ONBOARDING_TOPIC: `bench-onboarding-${run}`, CONSUMER_GROUP_PREFIX: `bench-${run}.`, LOG_LEVEL: 'warn' });
const baselineTopic = `bench-baseline-${run}`;
const ourApi = (port: number, env: Record<string, string>): Omit<System, 'system'> => ({
  port,
  args: [...APP_NODE_FLAGS, 'dist/cli/api.js'],
  env: { SIGNUP_TOPIC: config.topics.signups.name, API_PORT: String(port), API_RATE_LIMIT_MAX: '0', ...env },
  readyPath: '/readyz',
});
const script = (port: number, path: string, env: Record<string, string> = {}): Omit<System, 'system'> => ({ port, args: [path], env: { PORT: String(port), ...env }, readyPath: '/' });
// In the order the rows are measured and shown.
const SYSTEMS: readonly System[] = [
  // Ours at its default log level (info: one line per signup), as users run it; a warn row beside it.
  { system: OURS, ...ourApi(3101, { LOG_LEVEL: 'info' }) },
  { system: 'signup-pipeline, LOG_LEVEL=warn', ...ourApi(3105, { LOG_LEVEL: 'warn' }) },
  // The default linger is 0; a 1 ms linger batches more under load and holds a lone signup back.
  { system: LINGER, ...ourApi(3104, { LOG_LEVEL: 'info', PRODUCER_LINGER_MS: '1' }) },
  { system: TUTORIAL, ...script(3102, 'bench/baseline/server.mjs', { TOPIC: baselineTopic }) },
  { system: 'tutorial, idempotent producer', ...script(3106, 'bench/baseline/server.mjs', { TOPIC: baselineTopic, PRODUCER: 'idempotent' }) },
  { system: 'bare fastify', ...script(3103, 'bench/ceilings/bare-fastify.mjs') },
  { system: BARE_LOGGED, ...script(3107, 'bench/ceilings/bare-fastify-logged.mjs') },
  // The least any HTTP-to-Kafka signup does, at the API's delivery guarantees: the bound on both signup targets.
  { system: ONE_PRODUCE, ...script(3108, 'bench/ceilings/fastify-one-produce.mjs', { TOPIC: baselineTopic }) },
];
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);

interface LoadResult {
  readonly system: string;
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly non201: number;
  readonly errors: number;
  /** CPU time of the server process (all its threads) per 201, in µs. */
  readonly cpuUsPerRequest: number;
}

async function main(): Promise<void> {
  await prepareTopics();
  const servers = SYSTEMS.map((system) => ({ ...system, child: startServer(system) }));
  try {
    const results = await measure(servers);
    mkdirSync(`${root}bench/results`, { recursive: true });
    writeFileSync(`${root}bench/results/signup.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${root}docs/BENCHMARKS.md`, markdown(results));
    console.log('results: bench/results/signup.json, docs/BENCHMARKS.md');
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
  }
}

/** Every row, ceiling and latency of one run, with the machine and settings they were taken on. */
async function measure(servers: readonly (System & { readonly child: ChildProcess })[]) {
  // taskset execs node in place, so the pid is the server's own.
  const peak = trackPeakRss(servers.find((s) => s.system === OURS)!.child.pid!);
  for (const { port, readyPath } of servers) await waitForHttp(`http://127.0.0.1:${port}${readyPath}`);
  for (const { port } of servers) await load(`http://127.0.0.1:${port}/signup`, 64, 3); // warm-up: JIT, connections, metadata

  const rows: LoadResult[] = [];
  for (const connections of CONCURRENCIES) {
    for (const { system, port, child } of servers) {
      rows.push({ system, ...(await load(`http://127.0.0.1:${port}/signup`, connections, SECONDS, child.pid)) });
      console.log(JSON.stringify(rows.at(-1)));
    }
  }
  const portOf = (system: string) => SYSTEMS.find((s) => s.system === system)!.port;
  const lowRate = await oneAtATime(`http://127.0.0.1:${portOf(OURS)}/signup`, 300);
  // What a 1 ms linger would cost one awaited send.
  const lowRateLinger = await oneAtATime(`http://127.0.0.1:${portOf(LINGER)}/signup`, 300);
  const producerCeiling = await rawProducerCeiling(SECONDS);
  return {
    machine: machine(),
    settings: { seconds: SECONDS, concurrencies: CONCURRENCIES, apiLogLevel: 'info (default), warn in its own row', partitions: config.topics.signups.partitions },
    rows,
    lowRate,
    lowRateLinger,
    producerCeiling,
    apiPeakOwnRssMb: Math.round(peak.peakOwn() / 1024 / 1024),
    apiPeakRssMb: Math.round(peak.stop() / 1024 / 1024),
  };
}

async function prepareTopics(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.createTopics({ topics: [{ topic: baselineTopic, numPartitions: config.topics.signups.partitions, replicationFactor: config.topics.replicationFactor }] });
  await admin.disconnect();
}

function startServer({ system, args, env }: System): ChildProcess {
  // CPU 0 for servers; the harness itself runs on CPU 1.
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`${system} exited with ${code ?? signal}`);
  });
  return child;
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.status < 500, () => false)) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer within 30 s`);
}

let sequence = 0;
async function load(url: string, connections: number, seconds: number, serverPid?: number): Promise<Omit<LoadResult, 'system'>> {
  const ticksBefore = serverPid ? cpuTicks(serverPid) : 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: `bench${++sequence}@example.com`, username: `bench${sequence}` }) }) }],
  });
  const created = result.statusCodeStats?.['201']?.count ?? 0;
  return {
    connections,
    requestsPerSecond: Math.round(created / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    non201: result.requests.total - created,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: serverPid ? Math.round(((cpuTicks(serverPid) - ticksBefore) * TICK_US) / Math.max(1, created)) : NaN,
  };
}

async function oneAtATime(url: string, count: number) {
  const times: number[] = [];
  let non201 = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `single${i}@example.com`, username: `single${i}` }) });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 201) non201++;
  }
  return { requests: count, non201, p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** The same Avro payload produced straight from a loop: no HTTP, acks=all, many sends in flight. */
async function rawProducerCeiling(seconds: number) {
  const registry = createRegistryClient(config.registry);
  const topic = config.topics.signups.name;
  const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
  const encoder = new AvroEncoder(await registeredSchemaId(registry, `${topic}-value`, schema), schema.schema);
  const producer = createIdempotentProducer(kafka, { lingerMs: config.kafka.lingerMs, deliveryTimeoutMs: 30_000 });
  await producer.connect();
  const inFlight = 256;
  const deadline = Date.now() + seconds * 1000;
  const times: number[] = [];
  // This harness does nothing else meanwhile, so its CPU time (librdkafka's threads included) is the producer's.
  const cpuBefore = process.cpuUsage();
  const worker = async () => {
    while (Date.now() < deadline) {
      const event = { eventId: randomUUID(), userId: randomUUID(), email: 'raw@example.com', username: 'raw_producer', occurredAt: new Date(), locale: null };
      const started = performance.now();
      await producer.send({ topic, messages: [{ key: event.userId, value: encoder.encode(event) }] });
      times.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  await producer.disconnect();
  return { inFlight, messagesPerSecond: Math.round(times.length / seconds), p50: percentile(times, 50), p99: percentile(times, 99), cpuUsPerMessage: Math.round((cpu.user + cpu.system) / times.length) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, kafka: '4.4.0 (scripts/stack)', date: new Date().toISOString() };
}

function markdown(results: Awaited<ReturnType<typeof measure>>): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const row = (system: string, c: number) => results.rows.find((r) => r.system === system && r.connections === c)!;
  const ours = (c: number) => row(OURS, c);
  const base = (c: number) => row(TUTORIAL, c);
  const bare = (c: number) => row('bare fastify', c);
  const ratio = (r: LoadResult, anchor: LoadResult) => (r.requestsPerSecond / Math.max(1, anchor.requestsPerSecond)).toFixed(2);
  // Measured, not composed: the ceiling server pays the same cross-thread wake-ups per request as the API.
  const ceilingBound = (c: number) => {
    const ceiling = row(ONE_PRODUCE, c);
    return `${ceiling.requestsPerSecond} signups/s at ${ceiling.cpuUsPerRequest} µs: ${ratio(ceiling, base(c))}× the tutorial as written and ${ratio(ceiling, bare(c))} of bare fastify; the signup path reaches ${ratio(ours(c), ceiling)} of it, at ${ours(c).cpuUsPerRequest} µs`;
  };
  return [
    '# Benchmarks',
    '',
    `Generated by \`scripts/bench\` on ${results.machine.date}: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, Apache Kafka ${results.machine.kafka}, everything on one machine; ${results.settings.seconds} s per row, servers pinned to CPU 0 and the load generator (autocannon) to CPU 1.`,
    '',
    '## Signup path: POST /signup',
    '',
    `"${TUTORIAL}": Express, kafkajs with its default producer, the event as a JSON string without a key, one awaited \`send\` per request (bench/baseline/server.mjs). "tutorial, idempotent producer": the same with kafkajs' idempotent producer and the user id as key, which allows one request in flight per broker. Ours runs at its default settings (log level info, one line per signup; PRODUCER_LINGER_MS 0) and, in their own rows, at warn and with a 1 ms linger. "${BARE_LOGGED}": bare Fastify writing one access-log line at info per request, as ours does (bench/ceilings/bare-fastify-logged.mjs). "${ONE_PRODUCE}": the same plus one produce per request awaited until Kafka acknowledges it, with the API's delivery guarantees (idempotent, acks=all, linger 0, a uuid key) and an event-sized value, through the client's lower-level produce with a delivery callback (bench/ceilings/fastify-one-produce.mjs): the least any HTTP-to-Kafka signup does, so no signup path can beat its ratios. The ratios are each row's signups/s against the tutorial as written and against bare Fastify at the same concurrency; the server's CPU time (all its threads) per 201 is from /proc.`,
    '',
    line(['connections', 'system', 'signups/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'non-201', '/ tutorial as written', '/ bare fastify', 'server CPU µs per 201']),
    line(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']),
    ...CONCURRENCIES.flatMap((c) =>
      SYSTEMS.map(({ system }) => row(system, c)).map((r) =>
        line([c, r.system, r.requestsPerSecond, r.p50, r.p99, r.p999, r.non201, r === base(c) ? '' : ratio(r, base(c)), r === bare(c) ? '' : ratio(r, bare(c)), r.cpuUsPerRequest]),
      ),
    ),
    '',
    '## Ceilings and latency',
    '',
    line(['measure', 'value']),
    line(['---', '---']),
    line(['raw producer (no HTTP, acks=all, 256 sends in flight)', `${results.producerCeiling.messagesPerSecond} msg/s, p50 ${results.producerCeiling.p50} ms, p99 ${results.producerCeiling.p99} ms, ${results.producerCeiling.cpuUsPerMessage} µs of CPU per message`]),
    line([`HTTP-to-Kafka ceiling at 64 connections ("${ONE_PRODUCE}")`, ceilingBound(64)]),
    line(['the same at 256 connections', ceilingBound(256)]),
    line(['p99 at 64 connections against 2 × bare fastify p99 + raw producer p99', `${ours(64).p99} ms against ${Math.round(2 * bare(64).p99 + results.producerCeiling.p99)} ms`]),
    line(['one signup at a time (300 requests)', `p50 ${results.lowRate.p50} ms, p99 ${results.lowRate.p99} ms, non-201 ${results.lowRate.non201}`]),
    line(['one signup at a time with PRODUCER_LINGER_MS=1', `p50 ${results.lowRateLinger.p50} ms, p99 ${results.lowRateLinger.p99} ms, non-201 ${results.lowRateLinger.non201}`]),
    line(['API peak RSS during the runs (its own: RssAnon)', `${results.apiPeakRssMb} MB (${results.apiPeakOwnRssMb} MB)`]),
    '',
  ].join('\n');
}

await main();
process.exit(0);
