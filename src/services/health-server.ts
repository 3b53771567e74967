// The small HTTP listener every consumer service process runs: liveness, readiness and
// Prometheus metrics, for an orchestrator and a scraper.
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { RunningConsumer } from '../kafka/consumer/runtime.js';
import { KAFKA_STATS_INTERVAL_MS, type Registry } from '../observability/metrics.js';
import type { Logger } from '../logger.js';

/** librdkafka reports statistics every interval; three missed reports mean it is stuck. */
const STALE_AFTER_MS = 3 * KAFKA_STATS_INTERVAL_MS;

export async function startHealthServer(options: {
  readonly consumer: RunningConsumer;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  readonly startedAt: number;
  readonly extraRoutes?: ((app: FastifyInstance) => Promise<void>) | undefined;
}): Promise<{ app: FastifyInstance; url: string }> {
  const { consumer, registry } = options;
  // The assertion picks Fastify's logger type parameter, so the instance is a plain FastifyInstance.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  const statsAge = () => Date.now() - (consumer.lastStatsAt() ?? options.startedAt);

  app.get('/healthz', async (_request, reply) => {
    const age = statsAge();
    const live = age < STALE_AFTER_MS;
    return reply.code(live ? 200 : 503).send({ live, lastKafkaStatsAgeMs: age });
  });
  app.get('/readyz', async (_request, reply) => {
    const partitions = consumer.assignment().map((tp) => `${tp.topic}/${tp.partition}`);
    const ready = partitions.length > 0 && statsAge() < STALE_AFTER_MS;
    // Not ready without partitions: an instance beyond the partition count waits as a spare.
    return reply.code(ready ? 200 : 503).send({ ready, partitions, lastKafkaStatsAgeMs: statsAge() });
  });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  if (options.extraRoutes) await options.extraRoutes(app);
  const url = await app.listen({ host: options.host, port: options.port });
  return { app, url };
}
