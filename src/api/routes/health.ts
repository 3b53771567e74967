import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkReadiness, CheckResult, ReadinessReport, type Check } from '../../observability/health.js';

export interface HealthRouteOptions {
  readonly checks: Record<string, Check>;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { checks }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is running and serving HTTP',
        tags: ['health'],
        response: { 200: Type.Object({ live: Type.Literal(true), checks: Type.Record(Type.String(), CheckResult) }, { description: 'The process serves HTTP' }) },
      },
      logLevel: 'warn',
    },
    // The same shape as the consumer services' /healthz; serving this answer is the API's only check.
    async () => ({ live: true as const, checks: {} }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Kafka and the topic answer and the writer schema id is known',
        description:
          'The registry is checked too, but once the writer schema id is known the API publishes without it: a registry outage then shows as a failing check with required: false and leaves the instance ready.',
        tags: ['health'],
        response: {
          200: Type.Ref(ReadinessReport, { description: 'Ready: every check passed' }),
          503: Type.Ref(ReadinessReport, { description: 'Not ready: the failing checks say why' }),
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const report = await checkReadiness(checks);
      return reply.code(report.ready ? 200 : 503).send(report);
    },
  );
};
