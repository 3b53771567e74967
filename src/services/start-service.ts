// Starts one consumer service from its catalog entry: the shared clients, its metrics and
// dead-letter gauge, its wiring, and the shared consumer runtime. Every service runs as
// its own process (src/cli/consumer.ts); more instances of one service share its group's
// partitions.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { loadSchemaHistory } from '../events/schema-history.js';
import { createKafka } from '../kafka/client.js';
import { deadLetterTopic } from '../kafka/consumer/dead-letter.js';
import { runConsumer, type RunningConsumer } from '../kafka/consumer/runtime.js';
import type { Logger } from '../logger.js';
import { consumerMetrics, createMetricsRegistry, deadLetterGauge, librdkafkaStatsCallback, progressGauge, type Registry } from '../observability/metrics.js';
import { DeadLetterDepth } from '../operations/dead-letters.js';
import { createRegistryClient } from '../registry/client.js';
import { consumerGroups, serviceClientId, serviceDefinition, type ServiceName } from './catalog.js';

export interface RunningService {
  readonly name: ServiceName;
  /** The service's consumer of its input topic; readiness is its having partitions. */
  readonly consumer: RunningConsumer;
  /** Every consumer the service runs (analytics runs a second one): liveness covers them all. */
  readonly consumers: readonly RunningConsumer[];
  readonly metrics: Registry;
  /** Extra routes for the service's HTTP listener (the analytics dashboard). */
  readonly httpRoutes?: (app: FastifyInstance) => Promise<void>;
  stop(): Promise<void>;
}

export async function startService(name: ServiceName, sharedConfig: Config, logger: Logger): Promise<RunningService> {
  const definition = serviceDefinition(name);
  const config: Config = { ...sharedConfig, kafka: { ...sharedConfig.kafka, clientId: serviceClientId(sharedConfig, name) } };
  const kafka = createKafka(config.kafka, logger);
  const registry = createRegistryClient(config.registry);
  const groupId = consumerGroups(config)[name];
  const metrics = createMetricsRegistry(name);
  const cleanups: Array<() => Promise<void> | void> = [];
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const deadLetters = new DeadLetterDepth(config.kafka, admin);
  deadLetterGauge(metrics, groupId, () => deadLetters.of(deadLetterTopic(groupId)));

  const wired = await definition.wire({
    config,
    logger,
    kafka,
    admin,
    registry,
    groupId,
    topic: definition.input.topic(config.topics),
    // Each service reads its input contract as the newest version this build knows.
    readerSchema: loadSchemaHistory(definition.input.event).latest.schema,
    deadLetters,
    onStop: (cleanup) => cleanups.push(cleanup),
  });
  const runtime = {
    kafka,
    registry,
    logger,
    retry: config.consumers.retry,
    maxBatchSize: config.consumers.maxBatchSize,
    fetchWaitMs: config.consumers.fetchWaitMs,
    group: config.consumers.group,
    produceTimeoutMs: config.kafka.produceTimeoutMs,
    metrics: consumerMetrics(metrics),
    statsCallback: librdkafkaStatsCallback(metrics, `${name}-consumer`),
    progress: { stallAfterMs: config.consumers.stallTimeoutMs, kafka: config.kafka },
  };
  const consumer = await runConsumer({ ...wired.service, readCommitted: definition.isolation === 'read_committed' }, { ...runtime, ...wired.runtime });
  const consumers = [consumer];
  for (const companion of wired.companions ?? []) {
    const running = await runConsumer(companion, runtime);
    consumers.push(running);
    cleanups.push(() => running.stop());
  }
  progressGauge(metrics, groupId, consumers);

  return {
    name,
    consumer,
    consumers,
    metrics,
    ...(wired.httpRoutes ? { httpRoutes: wired.httpRoutes } : {}),
    async stop() {
      await consumer.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
