import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkReadiness, type Check } from '../readiness.js';

const CheckResult = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const ReadinessReport = Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), CheckResult) });

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
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Kafka, the topic and the schema registry answer, and the writer schema id is known',
        tags: ['health'],
        response: { 200: ReadinessReport, 503: ReadinessReport },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const report = await checkReadiness(checks);
      return reply.code(report.ready ? 200 : 503).send(report);
    },
  );
};
