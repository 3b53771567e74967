// What a member joining or leaving a group costs the records in flight, under the classic
// group protocol (eager, every partition revoked from every member) and under Kafka 4's
// consumer protocol (KIP-848: the broker moves only the partitions that change owner).
//
// Two members of one group on the shared consumer runtime (src/kafka/consumer/runtime.ts),
// in this process, with a handler that only notes the time; a producer writes to each of the
// six partitions at a steady rate. Then, in rounds, a second member joins (it connects and
// subscribes, as a starting instance does) and later leaves (a clean stop, as on SIGTERM).
// For each change, from the moment it starts:
// - flowing again: when the last partition that paused (no record handled for 300 ms or
//   more, while records kept arriving) handled a record again; 0 if none paused;
// - partitions paused, and the longest pause of any partition;
// - assigned: when the new owner of the moving partitions had them.
// Records handled twice are counted too (an at-least-once redelivery on a move).
// Results: bench/results/rebalance.json and a section appended to docs/BENCHMARKS.md.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadConfig, type ConsumerGroupProtocol } from '../src/config.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { loadSchemaHistory } from '../src/events/schema-history.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../src/events/user-signed-up.js';
import { createKafka } from '../src/kafka/client.js';
import { runConsumer, type RunningConsumer } from '../src/kafka/consumer/runtime.js';
import type { RecordConsumerService } from '../src/kafka/consumer/service.js';
import { createIdempotentProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/logger.js';
import { AvroEncoder } from '../src/registry/avro-encoder.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { registeredSchemaId } from '../src/registry/schema-id.js';
import { setGroupConfig } from '../test/support/kafka-tool.js';
import { sleep } from '../test/support/sleep.js';
import { GROUP_PROTOCOL_VARIANTS, type GroupProtocolVariant } from './support/group-protocols.js';

const root = new URL('../', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_REBALANCE_ROUNDS ?? 3);
/** How long each change is watched: past the consumer protocol's 5 s heartbeat with room to spare. */
const WINDOW_MS = Number(process.env.BENCH_REBALANCE_WINDOW_MS ?? 15_000);
const RECORDS_PER_PARTITION_PER_SECOND = 100;
const PAUSE_MS = 300;

const run = randomUUID().slice(0, 8);
const config = loadConfig({ ...process.env, SIGNUP_TOPIC: `bench-rebalance-${run}`, ONBOARDING_TOPIC: `bench-rebalance-onb-${run}`, CONSUMER_GROUP_PREFIX: `bench-rebalance-${run}.` });
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);
const registry = createRegistryClient(config.registry);
const topic = config.topics.signups.name;
const partitions = config.topics.signups.partitions;

/** Every handled record: partition, offset, when, by which member. */
interface Handled {
  readonly partition: number;
  readonly offset: string;
  readonly at: number;
}

interface Change {
  readonly kind: 'join' | 'leave';
  readonly flowingAgainMs: number;
  readonly partitionsPaused: number;
  readonly longestPauseMs: number;
  readonly assignedMs: number | undefined;
  readonly handledTwice: number;
}

function probe(groupId: string, handled: Handled[]): RecordConsumerService<UserSignedUp> {
  return {
    name: 'rebalance-probe',
    groupId,
    topic,
    readerSchema: loadSchemaHistory(USER_SIGNED_UP).latest.schema,
    async handle(_event, { partition, offset }) {
      handled.push({ partition, offset, at: performance.now() });
    },
  };
}

async function member(group: ConsumerGroupProtocol, groupId: string, handled: Handled[]): Promise<RunningConsumer> {
  return runConsumer(probe(groupId, handled), {
    kafka,
    registry,
    logger,
    retry: config.consumers.retry,
    produceTimeoutMs: config.kafka.produceTimeoutMs,
    maxBatchSize: config.consumers.maxBatchSize,
    fetchWaitMs: config.consumers.fetchWaitMs,
    group,
  });
}

/** Writes RECORDS_PER_PARTITION_PER_SECOND to every partition until stopped. */
async function steadyWriter() {
  const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
  const encoder = new AvroEncoder(await registeredSchemaId(registry, `${topic}-value`, schema), schema.schema);
  const producer = createIdempotentProducer(kafka, { lingerMs: 5, deliveryTimeoutMs: 30_000 });
  await producer.connect();
  let stopped = false;
  let sent = 0;
  const writing = (async () => {
    const startedAt = performance.now();
    while (!stopped) {
      const due = startedAt + (sent / partitions) * (1000 / RECORDS_PER_PARTITION_PER_SECOND);
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const messages = Array.from({ length: partitions }, (_, partition) => {
        const event = { eventId: randomUUID(), userId: randomUUID(), email: `r${sent + partition}@example.com`, username: `r${sent + partition}`, occurredAt: new Date(), locale: null };
        return { partition, key: event.userId, value: encoder.encode(event) };
      });
      sent += partitions;
      void producer.send({ topic, messages }).catch((error: unknown) => console.error(`produce: ${(error as Error).message}`));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await writing;
      await producer.flush({ timeout: 30_000 });
      await producer.disconnect();
    },
  };
}

/** Measures one change (starting at `t0`) from what was handled in the window after it. */
function measure(kind: Change['kind'], handled: readonly Handled[], t0: number, assignedAt: number | undefined, seenBefore: ReadonlySet<string>): Change {
  let flowingAgainMs = 0;
  let partitionsPaused = 0;
  let longestPauseMs = 0;
  for (let partition = 0; partition < partitions; partition++) {
    // From the last record handled before the change, so that a pause that starts with it counts whole.
    const times = handled.filter((h) => h.partition === partition && h.at >= t0 - 1000 && h.at <= t0 + WINDOW_MS).map((h) => h.at);
    let paused = false;
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      if (times[i]! < t0) continue;
      longestPauseMs = Math.max(longestPauseMs, gap);
      if (gap >= PAUSE_MS) {
        paused = true;
        flowingAgainMs = Math.max(flowingAgainMs, times[i]! - t0);
      }
    }
    if (paused) partitionsPaused++;
  }
  const handledTwice = handled.filter((h) => h.at >= t0 && seenBefore.has(`${h.partition}:${h.offset}`)).length;
  return {
    kind,
    flowingAgainMs: Math.round(flowingAgainMs),
    partitionsPaused,
    longestPauseMs: Math.round(longestPauseMs),
    assignedMs: assignedAt === undefined ? undefined : Math.round(assignedAt - t0),
    handledTwice,
  };
}

/** Polls until `ready()` holds; returns when it first did, or undefined if it never did within the window. */
async function whenTrue(ready: () => boolean, until: number): Promise<number | undefined> {
  while (performance.now() < until) {
    if (ready()) return performance.now();
    await sleep(20);
  }
  return undefined;
}

async function measureVariant({ group, groupConfig }: GroupProtocolVariant, index: number): Promise<Change[]> {
  const groupId = `${config.consumers.groupPrefix}${index}`;
  if (groupConfig) await setGroupConfig(groupId, groupConfig);
  const handled: Handled[] = [];
  const first = await member(group, groupId, handled);
  await whenTrue(() => new Set(handled.map((h) => h.partition)).size === partitions, performance.now() + 60_000);
  await sleep(2000);
  const changes: Change[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const seen = (): Set<string> => new Set(handled.map((h) => `${h.partition}:${h.offset}`));
    let t0 = performance.now();
    let before = seen();
    const second = await member(group, groupId, handled);
    let assignedAt = await whenTrue(() => second.assignment().length > 0 && first.assignment().length + second.assignment().length === partitions, t0 + WINDOW_MS);
    await sleep(t0 + WINDOW_MS - performance.now());
    changes.push(measure('join', handled, t0, assignedAt, before));

    t0 = performance.now();
    before = seen();
    const stopping = second.stop();
    assignedAt = await whenTrue(() => first.assignment().length === partitions, t0 + WINDOW_MS);
    await stopping;
    await sleep(t0 + WINDOW_MS - performance.now());
    changes.push(measure('leave', handled, t0, assignedAt, before));
    console.log(JSON.stringify({ groupId, round, changes: changes.slice(-2) }));
  }
  await first.stop();
  return changes;
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry, admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();
  const writer = await steadyWriter();
  const results: Record<string, Change[]> = {};
  try {
    for (const [index, variant] of GROUP_PROTOCOL_VARIANTS.entries()) results[variant.label] = await measureVariant(variant, index);
  } finally {
    await writer.stop();
  }
  const date = new Date().toISOString();
  const settings = { partitions, recordsPerPartitionPerSecond: RECORDS_PER_PARTITION_PER_SECOND, windowMs: WINDOW_MS, pauseMs: PAUSE_MS, rounds: ROUNDS };
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/rebalance.json`, `${JSON.stringify({ date, node: process.version, settings, results }, null, 2)}\n`);
  appendFileSync(`${root}docs/BENCHMARKS.md`, markdown(date, results));
  console.log('results: bench/results/rebalance.json, docs/BENCHMARKS.md');
}

function markdown(date: string, results: Record<string, Change[]>): string {
  const range = (values: number[]) => (Math.min(...values) === Math.max(...values) ? `${values[0]}` : `${Math.min(...values)}–${Math.max(...values)}`);
  const rows = Object.entries(results).flatMap(([protocol, changes]) =>
    (['join', 'leave'] as const).map((kind) => {
      const of = changes.filter((c) => c.kind === kind);
      return `| ${protocol} | ${kind === 'join' ? 'a second member joins' : 'it leaves (clean stop)'} | ${range(of.map((c) => c.flowingAgainMs))} | ${range(of.map((c) => c.partitionsPaused))} of ${partitions} | ${range(of.map((c) => c.longestPauseMs))} | ${range(of.map((c) => c.assignedMs ?? -1))} | ${of.reduce((n, c) => n + c.handledTwice, 0)} |`;
    }),
  );
  return [
    '',
    `## A member joining and leaving, classic vs consumer group protocol (${date})`,
    '',
    `One member of a group on the consumer runtime, ${RECORDS_PER_PARTITION_PER_SECOND} records/s written to each of ${partitions} partitions; a second member joins, then leaves; ${ROUNDS} rounds, the range over them. Classic: the client's defaults (30 s session, 3 s heartbeat, eager round-robin assignment); consumer: the broker's defaults (5 s heartbeat interval, on which assignments travel), and once more with the group's own consumer.heartbeat.interval.ms set to 1 s. "Flowing again": milliseconds from the change until the last partition that paused (nothing handled for ${PAUSE_MS} ms or more) handled a record again, 0 if none paused. "Assigned": until the moving partitions had their new owner.`,
    '',
    '| protocol | change | flowing again ms | partitions paused | longest pause ms | assigned ms | records handled twice |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

await main();
process.exit(0);
