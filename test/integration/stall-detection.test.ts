// A consumer that stops getting through its records while librdkafka's threads are fine:
// here its handler waits on a dependency that accepts the connection and never answers
// (no timeout on that call). /healthz must fail with the reason, so that an orchestrator
// restarts it; once the dependency answers it recovers; an idle consumer is never stalled,
// which needs the lag measured (with the consumer's own connections).
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { runConsumer } from '../../src/kafka/consumer/runtime.js';
import type { RecordConsumerService } from '../../src/kafka/consumer/service.js';
import { createLogger } from '../../src/logger.js';
import { createMetricsRegistry, progressGauge } from '../../src/observability/metrics.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { startHealthServer } from '../../src/services/health-server.js';
import { isolatedConfig } from '../support/api.js';
import { eventually } from '../support/services.js';
import { sleep } from '../support/sleep.js';

const STALL_AFTER_MS = 3000;
let config: Config;
let silent: Server;
let silentPort: number;
const held: Socket[] = [];

beforeAll(async () => {
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: '1' });
  // Accepts every connection and never says a word.
  silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  if (silent.listening) await new Promise((resolve) => silent.close(resolve));
});

/** A call without a timeout to the silent dependency: returns when it answers or hangs up. */
function askTheDependency(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(silentPort, '127.0.0.1');
    socket.once('data', () => resolve());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
}

describe('stall detection', () => {
  it('fails /healthz while records wait behind a handler that never returns, and recovers when it does', async () => {
    const topic = config.topics.signups.name;
    const groupId = `${config.consumers.groupPrefix}stall-probe`;
    const logger = createLogger('warn', 'test');
    const kafka = createKafka(config.kafka, logger);
    const registry = createRegistryClient(config.registry);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: deadLetterTopic(groupId), numPartitions: 1, replicationFactor: config.topics.replicationFactor }] });
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, valueSubject(topic), loadSchemaHistory(USER_SIGNED_UP).latest));
    const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
    await producer.connect();
    const events: UserSignedUp[] = Array.from({ length: 3 }, (_, i) => ({
      eventId: randomUUID(),
      userId: randomUUID(),
      email: `stall${i}@example.com`,
      username: `stall${i}`,
      occurredAt: new Date(),
      locale: null,
    }));
    await producer.send({ topic, messages: await Promise.all(events.map(async (e) => ({ key: e.userId, value: await serializer.serialize(topic, e) }))) });
    await producer.disconnect();

    const handled: string[] = [];
    const service: RecordConsumerService<UserSignedUp> = {
      name: 'stall-probe',
      groupId,
      topic,
      readerSchema: loadSchemaHistory(USER_SIGNED_UP).latest.schema,
      async handle(event) {
        await askTheDependency();
        handled.push(event.userId);
      },
    };
    const running = await runConsumer(service, {
      kafka,
      registry,
      logger,
      retry: config.consumers.retry,
      produceTimeoutMs: 5000,
      maxBatchSize: 500,
      fetchWaitMs: config.consumers.fetchWaitMs,
      group: config.consumers.group,
      progress: { stallAfterMs: STALL_AFTER_MS, kafka: config.kafka },
    });
    const metrics = createMetricsRegistry('stall-probe');
    progressGauge(metrics, groupId, [running]);
    const health = await startHealthServer({ consumer: running, registry: metrics, logger, host: '127.0.0.1', port: 0, startedAt: Date.now() });
    const healthz = async () => {
      const response = await fetch(`${health.url}/healthz`);
      return { status: response.status, body: (await response.json()) as { live: boolean; checks: Record<string, { ok: boolean; detail?: string }> } };
    };
    try {
      // The first record's handler is waiting on the dependency; three records are behind.
      // Within the stall timeout and one evaluation; before the statistics check would notice
      // (this consumer polls nothing while its one handler call waits).
      await eventually(async () => (await healthz()).status === 503, async () => JSON.stringify(await healthz()), 8000);
      const stalled = await healthz();
      expect(stalled.body).toMatchObject({ live: false, checks: { progress: { ok: false } } });
      expect(stalled.body.checks.progress!.detail).toMatch(new RegExp(`^stalled: the handler call on ${topic}/0 offset 0 has been running for \\d+ s \\(stall timeout 3 s\\)$`));
      expect(handled).toEqual([]);
      const age = /consumer_last_progress_age_seconds\{[^}]*\} ([\d.]+)/.exec(await (await fetch(`${health.url}/metrics`)).text());
      expect(Number(age?.[1])).toBeGreaterThanOrEqual(STALL_AFTER_MS / 1000);

      // The dependency answers (it hangs up): the records go through and liveness returns.
      silent.close();
      for (const socket of held) socket.destroy();
      await eventually(() => handled.length === 3, () => `handled ${handled.length} of 3`);
      await eventually(async () => (await healthz()).status === 200, async () => JSON.stringify(await healthz()), 15_000);
      expect(handled.toSorted()).toEqual(events.map((e) => e.userId).toSorted());

      // Nothing left to read: however long it stays idle, it is not stalled.
      await sleep(STALL_AFTER_MS * 2);
      const idle = await healthz();
      expect(idle.status).toBe(200);
      expect(idle.body.checks.progress!.detail).toMatch(/^idle: nothing to read/);
    } finally {
      await health.app.close();
      await running.stop();
      await admin.disconnect();
    }
  });
});
