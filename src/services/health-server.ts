// The small HTTP listener every consumer service process runs: liveness, readiness and
// Prometheus metrics, for an orchestrator and a scraper.
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { RunningConsumer } from '../kafka/consumer/runtime.js';
import { KAFKA_STATS_INTERVAL_MS, type Registry } from '../observability/metrics.js';
import type { Logger } from '../logger.js';
import type { CheckResult, LivenessReport, ReadinessReport } from '../observability/health.js';

/** librdkafka reports statistics every interval; three missed reports mean it is stuck. */
const STALE_AFTER_MS = 3 * KAFKA_STATS_INTERVAL_MS;

export async function startHealthServer(options: {
  /** Readiness: this consumer has partitions. */
  readonly consumer: RunningConsumer;
  /** Liveness: each of these is making progress (progress.ts); defaults to `consumer`. */
  readonly watched?: readonly RunningConsumer[];
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

  const kafkaStatistics = (): CheckResult => {
    const age = statsAge();
    return { ok: age < STALE_AFTER_MS, detail: `librdkafka's last statistics ${age} ms ago` };
  };
  const watched = options.watched ?? [consumer];
  // Stalled: records waiting, nothing handled for CONSUMER_STALL_TIMEOUT_MS, no back-off. The
  // client's threads can be fine meanwhile, so this is what makes an orchestrator restart it.
  const progress = (): CheckResult => {
    const verdicts = watched.map((c) => c.progress());
    const failing = verdicts.find((v) => !v.ok);
    return failing ?? { ok: true, detail: verdicts.map((v) => v.detail).join('; ') };
  };
  app.get('/healthz', async (_request, reply) => {
    const statistics = kafkaStatistics();
    const progressing = progress();
    const report: LivenessReport = { live: statistics.ok && progressing.ok, checks: { kafkaStatistics: statistics, progress: progressing } };
    return reply.code(report.live ? 200 : 503).send(report);
  });
  app.get('/readyz', async (_request, reply) => {
    const assigned = consumer.assignment().map((tp) => `${tp.topic}/${tp.partition}`);
    // Not ready without partitions: an instance beyond the partition count waits as a spare.
    const partitions: CheckResult = { ok: assigned.length > 0, detail: assigned.length > 0 ? assigned.join(', ') : 'none assigned' };
    const statistics = kafkaStatistics();
    const report: ReadinessReport = { ready: partitions.ok && statistics.ok, checks: { partitions, kafkaStatistics: statistics } };
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  if (options.extraRoutes) await options.extraRoutes(app);
  const url = await app.listen({ host: options.host, port: options.port });
  return { app, url };
}
