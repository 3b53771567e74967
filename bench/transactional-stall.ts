// How long read_committed readers of the enrolment topic wait after an onboarding
// instance is killed with SIGKILL and started again, with a random transactional id per
// process (no INSTANCE_ID) and with a stable one (INSTANCE_ID). Signups are written at a
// steady rate; a read_committed reader notes when each enrolment arrives on each partition;
// the stall is the longest gap between two arrivals on one partition around the kill (an
// open transaction holds up only the partitions it wrote to). A kill between two transactions leaves
// nothing open, so each round also says whether it left one open (a partition whose last
// stable offset stayed below its high watermark right after the kill); rounds are repeated
// until one per mode did, or the tries run out.
// Results: bench/results/transactional-stall.json (the latest run only).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { loadSchemaHistory } from '../src/events/schema-history.js';
import { valueSubject } from '../src/events/subjects.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../src/events/user-signed-up.js';
import { createKafka } from '../src/kafka/client.js';
import { createIdempotentProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/logger.js';
import { AvroEncoder } from '../src/registry/avro-encoder.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { registeredSchemaId } from '../src/registry/schema-id.js';
import { consumerGroups } from '../src/services/catalog.js';
import { setGroupConfig } from '../test/support/kafka-tool.js';
import { sleep } from '../test/support/sleep.js';

const root = new URL('../', import.meta.url).pathname;
const TRIES = Number(process.env.BENCH_STALL_TRIES ?? 6);
const RATE = 200; // signups per second
const SESSION_TIMEOUT_MS = 10_000;

interface Round {
  readonly stallMs: number;
  /** A transaction of the killed process was still open on the enrolment topic. */
  readonly leftOpen: boolean;
}

async function round(mode: 'random id' | 'INSTANCE_ID'): Promise<Round> {
  const run = randomUUID().slice(0, 8);
  const env = {
    ...process.env,
    SIGNUP_TOPIC: `bench-stall-${run}`,
    ONBOARDING_TOPIC: `bench-stall-onb-${run}`,
    CONSUMER_GROUP_PREFIX: `bench-stall-${run}.`,
    SERVICE_HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    ...(mode === 'INSTANCE_ID' ? { INSTANCE_ID: 'onboarding-1' } : { INSTANCE_ID: '' }),
  };
  const config = loadConfig(env);
  // The killed instance's partitions go to the restarted one when its session ends.
  await setGroupConfig(consumerGroups(config).onboarding, { 'consumer.session.timeout.ms': SESSION_TIMEOUT_MS });
  const kafka = createKafka(config.kafka, createLogger('warn', 'bench'));
  const registry = createRegistryClient(config.registry);
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry, admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
  const encoder = new AvroEncoder<UserSignedUp>(await registeredSchemaId(registry, valueSubject(config.topics.signups.name), schema), schema.schema);

  const arrivals: Array<{ partition: number; at: number }> = [];
  const reader = kafka.consumer({ kafkaJS: { groupId: `bench-stall-reader-${run}`, fromBeginning: true, readUncommitted: false } });
  await reader.connect();
  await reader.subscribe({ topics: [config.topics.onboarding.name] });
  void reader.run({ eachMessage: async ({ partition }) => void arrivals.push({ partition, at: Date.now() }) });

  const producer = createIdempotentProducer(kafka, { lingerMs: 5, deliveryTimeoutMs: 30_000 });
  await producer.connect();
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const userId = randomUUID();
      const event = { eventId: randomUUID(), userId, email: `stall${i}-${run}@example.com`, username: `stall_${i}`, occurredAt: new Date(), locale: null };
      void producer.send({ topic: config.topics.signups.name, messages: [{ key: userId, value: encoder.encode(event) }] });
      await sleep(1000 / RATE);
    }
  })();

  const start = () => spawn(process.execPath, [...APP_NODE_FLAGS, 'dist/cli/consumer.js', 'onboarding'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  let child: ChildProcess = start();
  try {
    const deadline = Date.now() + 60_000;
    while (arrivals.length < 3 * RATE && Date.now() < deadline) await sleep(100);
    await sleep(2000); // steady on every partition
    if (arrivals.length < 3 * RATE) throw new Error(`onboarding never got going (${arrivals.length} enrolments)`);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const leftOpen = await openTransactionOn(admin, config.topics.onboarding.name);
    child = start();
    // Until enrolments flow again for a while after the kill.
    const limit = Date.now() + 150_000;
    const partitions = config.topics.signups.partitions;
    const flowingAgain = () => new Set(arrivals.filter((a) => a.at > killedAt + 1000).map((a) => a.partition)).size === partitions;
    while (Date.now() < limit && !flowingAgain()) await sleep(200);
    await sleep(2000);
    let stallMs = 0;
    for (let p = 0; p < partitions; p++) {
      const times = arrivals.filter((a) => a.partition === p && a.at >= killedAt - 2000).map((a) => a.at);
      for (let i = 1; i < times.length; i++) stallMs = Math.max(stallMs, times[i]! - times[i - 1]!);
      if (!times.some((t) => t > killedAt)) stallMs = Math.max(stallMs, Date.now() - killedAt);
    }
    return { stallMs, leftOpen };
  } finally {
    writing = false;
    await writer;
    child.kill('SIGTERM');
    await producer.disconnect();
    await reader.disconnect();
    await admin.disconnect();
  }
}

async function openTransactionOn(admin: KafkaJS.Admin, topic: string): Promise<boolean> {
  const [stable, high] = await Promise.all([
    admin.fetchTopicOffsets(topic, { isolationLevel: KafkaJS.IsolationLevel.READ_COMMITTED }),
    admin.fetchTopicOffsets(topic, { isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED }),
  ]);
  return stable.some((s) => BigInt(s.high) < BigInt(high.find((h) => h.partition === s.partition)!.high));
}

async function main(): Promise<void> {
  const results: Record<string, Round[]> = { 'random id': [], INSTANCE_ID: [] };
  for (const mode of ['random id', 'INSTANCE_ID'] as const) {
    for (let i = 0; i < TRIES && !results[mode]!.some((r) => r.leftOpen); i++) {
      const result = await round(mode);
      results[mode]!.push(result);
      console.log(`${mode}: stall ${result.stallMs} ms, a transaction left open: ${result.leftOpen}`);
    }
  }
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(
    `${root}bench/results/transactional-stall.json`,
    `${JSON.stringify({ at: new Date().toISOString(), ratePerSecond: RATE, sessionTimeoutMs: SESSION_TIMEOUT_MS, rounds: results }, null, 2)}\n`,
  );
}

await main();
process.exit(0);
