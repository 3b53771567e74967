import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkReadiness, type Check } from '../readiness.js';

const CheckResult = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
export const ReadinessReport = Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), CheckResult) }, { $id: 'ReadinessReport' });

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
        summary: 'Readiness: Kafka, the topic and the schema registry answer, and the writer schema id is known',
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
