// Runs the API: wires Kafka, the registry and the app together, listens, and on shutdown
// stops accepting, lets in-flight requests finish, then flushes the producer.
import type { FastifyInstance } from 'fastify';
import { userIdSecretOf, type Config } from '../config.js';
import { loadSchemaHistory } from '../events/schema-history.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../events/user-signed-up.js';
import { createKafka } from '../kafka/client.js';
import { EventPublisher } from '../kafka/event-publisher.js';
import { createIdempotentProducer } from '../kafka/producer.js';
import type { Logger } from '../logger.js';
import { apiMetrics, createMetricsRegistry, librdkafkaStatsCallback } from '../observability/metrics.js';
import { createRegistryClient } from '../registry/client.js';
import { buildApp } from './app.js';
import { UserIds } from './identity.js';
import { kafkaTopicCheck, registryCheck } from './readiness.js';

const READINESS_TIMEOUT_MS = 2000;

export interface RunningApi {
  readonly app: FastifyInstance;
  readonly publisher: EventPublisher<UserSignedUp>;
  /** The address the server listens on. */
  readonly url: string;
  /** Waits until every event handed to the producer is delivered or has failed for good. */
  flush(timeoutMs: number): Promise<void>;
  /** Stops accepting, drains in-flight requests, flushes and disconnects the producer. */
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const userIds = new UserIds(userIdSecretOf(config));
  const kafka = createKafka(config.kafka, logger);
  const registry = createMetricsRegistry('api');
  const metrics = apiMetrics(registry);
  const producer = createIdempotentProducer(kafka, {
    lingerMs: config.kafka.lingerMs,
    deliveryTimeoutMs: config.kafka.deliveryTimeoutMs,
    statsCallback: librdkafkaStatsCallback(registry, 'api-producer'),
  });
  // librdkafka connects lazily and reconnects by itself: a broker that is down now makes
  // requests answer 503 until it returns, it does not stop the API from starting.
  await producer.connect();
  const admin = producer.dependentAdmin();
  await admin.connect();

  const topic = config.topics.signups.name;
  const publisher = new EventPublisher<UserSignedUp>({
    producer,
    registry: createRegistryClient(config.registry),
    topic,
    schema: loadSchemaHistory(USER_SIGNED_UP).latest,
    logger,
    metrics,
    answerWithinMs: config.kafka.produceTimeoutMs,
  });
  const resolving = publisher.resolveSchema();

  const app = await buildApp({
    config: config.api,
    logger,
    publisher,
    userIds,
    metrics: { registry, http: metrics.httpSeconds },
    readinessChecks: {
      kafka: kafkaTopicCheck(admin, topic, READINESS_TIMEOUT_MS),
      // A client of its own, without retries: a probe wants one quick answer.
      registry: registryCheck(createRegistryClient(config.registry, { timeoutMs: READINESS_TIMEOUT_MS, maxRetries: 0 }), () => publisher.schemaId),
      writerSchema: async () =>
        publisher.schemaId !== undefined
          ? { ok: true, detail: `schema id ${publisher.schemaId}` }
          : { ok: false, detail: publisher.schemaProblem ?? 'not resolved' },
    },
  });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  const rateLimit = config.api.rateLimit ? `${config.api.rateLimit.max} signups per ${config.api.rateLimit.windowMs} ms per client address` : 'off';
  logger.info({ url, topic, rateLimit, trustedProxies: config.api.trustedProxies }, 'signup API listening');

  return {
    app,
    publisher,
    url,
    async flush(timeoutMs) {
      await producer.flush({ timeout: timeoutMs });
    },
    async stop() {
      await app.close(); // stops accepting; resolves once in-flight requests are answered
      logger.info('HTTP server closed');
      publisher.stop();
      await resolving;
      await producer.flush({ timeout: config.shutdownTimeoutMs });
      logger.info('producer flushed');
      await admin.disconnect();
      await producer.disconnect();
    },
  };
}
