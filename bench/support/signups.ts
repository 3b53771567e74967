// What the benchmarks share: signups sent at a steady rate through the API, a topic filled
// with signups straight from a producer, the timestamp of each user's record on a topic,
// waiting for an HTTP endpoint, and a latency summary.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../src/config.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import type { Kafka } from '../../src/kafka/client.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { AvroEncoder } from '../../src/registry/avro-encoder.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { sleep } from '../../test/support/sleep.js';

/**
 * Writes `count` UserSignedUp events of new users to `topic` (its value schema registered
 * already), 512 sends in flight: a backlog for a consumer to work through. Users are named
 * `<name><i>`.
 */
export async function prefillSignups(kafka: Kafka, registry: Config['registry'], topic: string, count: number, name: string) {
  const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
  const encoder = new AvroEncoder(await registeredSchemaId(createRegistryClient(registry), `${topic}-value`, schema), schema.schema);
  const producer = createIdempotentProducer(kafka, { lingerMs: 5, deliveryTimeoutMs: 60_000 });
  await producer.connect();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const event = { eventId: randomUUID(), userId: randomUUID(), email: `${name}${i}@d${i % 17}.example`, username: `${name}${i}`, occurredAt: new Date(), locale: null };
      await producer.send({ topic, messages: [{ key: event.userId, value: encoder.encode(event) }] });
    }
  };
  await Promise.all(Array.from({ length: 512 }, worker));
  await producer.disconnect();
  return { topic, events: count, seconds: (performance.now() - started) / 1000 };
}

/**
 * Sends `rate` signups per second for `seconds` (or until `stopped()`), each without waiting
 * for the previous one, over at most 256 kept-alive connections (a stalled API makes
 * requests queue here instead of opening a socket each); returns the user ids of the 201s.
 * Any other answer fails the run, naming the statuses.
 */
export async function steadyLoad(port: number, rate: number, seconds: number, name: string, stopped: () => boolean = () => false): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sent: string[] = [];
  const failures: Array<number | string> = [];
  const requests: Promise<void>[] = [];
  const startedAt = performance.now();
  try {
    for (let i = 0; i < rate * seconds && !stopped(); i++) {
      const due = startedAt + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const username = `${name}_${i}`;
      requests.push(
        post(agent, port, '/signup', JSON.stringify({ email: `${username}@example.com`, username })).then(
          ({ status, body }) => {
            if (status !== 201) return void failures.push(status);
            sent.push((JSON.parse(body) as { userId: string }).userId);
          },
          (error: unknown) => void failures.push((error as NodeJS.ErrnoException).code ?? 'error'),
        ),
      );
    }
    await Promise.all(requests);
  } finally {
    agent.destroy();
  }
  if (failures.length > 0) throw new Error(`${failures.length} signups were not accepted (${[...new Set(failures)].join(', ')})`);
  return sent;
}

function post(agent: Agent, port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Every record of `topic` keyed by one of `users` (read_committed, from the beginning), as
 * its timestamp (CreateTime: set when it was produced), per user: more than one means the
 * topic holds the user's record twice.
 */
export async function recordTimestamps(kafka: Kafka, topic: string, users: ReadonlySet<string>): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  let distinct = 0;
  const consumer = kafka.consumer({ kafkaJS: { groupId: `bench-reader-${randomUUID()}`, fromBeginning: true, readUncommitted: false } });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }: KafkaJS.EachMessagePayload) => {
        const userId = message.key?.toString();
        if (!userId || !users.has(userId)) return;
        const times = found.get(userId);
        if (times) times.push(Number(message.timestamp));
        else {
          found.set(userId, [Number(message.timestamp)]);
          distinct++;
        }
        if (distinct === users.size) resolve();
      },
    });
  });
  // Copies of the last records may still be on their way: a short look further.
  await sleep(1000);
  await consumer.disconnect();
  return found;
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(200);
  }
  throw new Error(`${url} not ready within ${timeoutMs / 1000} s`);
}

export function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50: at(50), p99: at(99), max: sorted.at(-1)! };
}

export type Summary = ReturnType<typeof summary>;
