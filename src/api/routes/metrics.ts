import fp from 'fastify-plugin';
import type { ApiMetrics, Registry } from '../../observability/metrics.js';

export interface MetricsRouteOptions {
  readonly registry: Registry;
  readonly http: ApiMetrics['httpSeconds'];
}

/**
 * GET /metrics in Prometheus' text format, and request latency by route and status for
 * every request (wrapped with fastify-plugin so the hook sees the whole app's routes).
 */
export const metricsRoute = fp<MetricsRouteOptions>(async (app, { registry, http }) => {
  app.addHook('onResponse', async (request, reply) => {
    http.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  const metricsSchema = {
    summary: 'Prometheus metrics',
    tags: ['health'],
    response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
  };
  app.get('/metrics', { schema: metricsSchema, logLevel: 'warn' }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
});
