// How long read_committed readers of the enrolment topic wait after an onboarding
// instance is killed with SIGKILL and started again, with a random transactional id per
// process (no INSTANCE_ID) and with a stable one (INSTANCE_ID). Signups are written at a
// steady rate; a read_committed reader notes when each enrolment arrives; the stall is the
// longest gap between two arrivals around the kill.
// Results: bench/results/transactional-stall.json (the latest run only).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
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

const root = new URL('../', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_STALL_ROUNDS ?? 2);
const RATE = 200; // signups per second
const SESSION_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function round(mode: 'random id' | 'INSTANCE_ID'): Promise<{ stallMs: number; enrolmentsBefore: number }> {
  const run = randomUUID().slice(0, 8);
  const env = {
    ...process.env,
    SIGNUP_TOPIC: `bench-stall-${run}`,
    ONBOARDING_TOPIC: `bench-stall-onb-${run}`,
    CONSUMER_GROUP_PREFIX: `bench-stall-${run}.`,
    CONSUMER_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    SERVICE_HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    ...(mode === 'INSTANCE_ID' ? { INSTANCE_ID: 'onboarding-1' } : { INSTANCE_ID: '' }),
  };
  const config = loadConfig(env);
  const kafka = createKafka(config.kafka, createLogger('warn', 'bench'));
  const registry = createRegistryClient(config.registry);
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry, admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();
  const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
  const encoder = new AvroEncoder<UserSignedUp>(await registeredSchemaId(registry, valueSubject(config.topics.signups.name), schema), schema.schema);

  const arrivals: number[] = [];
  const reader = kafka.consumer({ kafkaJS: { groupId: `bench-stall-reader-${run}`, fromBeginning: true, readUncommitted: false } });
  await reader.connect();
  await reader.subscribe({ topics: [config.topics.onboarding.name] });
  void reader.run({ eachMessage: async () => void arrivals.push(Date.now()) });

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

  const start = () => spawn(process.execPath, ['dist/cli/consumer.js', 'onboarding'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  let child: ChildProcess = start();
  try {
    const deadline = Date.now() + 60_000;
    while (arrivals.length < 3 * RATE && Date.now() < deadline) await sleep(100);
    if (arrivals.length < 3 * RATE) throw new Error(`onboarding never got going (${arrivals.length} enrolments)`);
    const enrolmentsBefore = arrivals.length;
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    child = start();
    // Until enrolments flow again for a while after the kill.
    const limit = Date.now() + 150_000;
    while (Date.now() < limit && arrivals.filter((t) => t > killedAt).length < 2 * RATE) await sleep(200);
    const around = arrivals.filter((t) => t >= killedAt - 2000);
    let stallMs = 0;
    for (let i = 1; i < around.length; i++) stallMs = Math.max(stallMs, around[i]! - around[i - 1]!);
    if (around.filter((t) => t > killedAt).length === 0) stallMs = Date.now() - killedAt;
    return { stallMs, enrolmentsBefore };
  } finally {
    writing = false;
    await writer;
    child.kill('SIGTERM');
    await producer.disconnect();
    await reader.disconnect();
  }
}

async function main(): Promise<void> {
  const results: Record<string, number[]> = { 'random id': [], INSTANCE_ID: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['random id', 'INSTANCE_ID'] as const) {
      const { stallMs } = await round(mode);
      results[mode]!.push(stallMs);
      console.log(`${mode}: stall ${stallMs} ms`);
    }
  }
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(
    `${root}bench/results/transactional-stall.json`,
    `${JSON.stringify({ at: new Date().toISOString(), ratePerSecond: RATE, sessionTimeoutMs: SESSION_TIMEOUT_MS, stallMs: results }, null, 2)}\n`,
  );
}

await main();
process.exit(0);
