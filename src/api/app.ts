// Composes the HTTP API from plugins in a fixed order: Fastify's own settings, the
// OpenAPI document, error handling, then routes. Listening on a port is server.ts' job.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.js';
import type { EventPublisher } from '../kafka/event-publisher.js';
import type { UserSignedUp } from '../events/user-signed-up.js';
import type { Logger } from '../logger.js';
import { registerErrorHandlers } from './plugins/error-handler.js';
import { securityHeaders } from './plugins/security-headers.js';
import type { UserIds } from './identity.js';
import { ReadinessReport, type Check } from '../observability/health.js';
import { healthRoutes } from './routes/health.js';
import { AccessLog } from './access-log.js';
import { metricsRoute } from './routes/metrics.js';
import type { ApiMetrics, Registry } from '../observability/metrics.js';
import { signupRoute } from './routes/signup.js';
import { ErrorResponse } from './schemas/errors.js';
import { SignupAccepted, SignupRequest } from './schemas/signup.js';

export interface AppDependencies {
  readonly config: Config['api'];
  readonly logger: Logger;
  readonly publisher: EventPublisher<UserSignedUp>;
  readonly userIds: UserIds;
  readonly readinessChecks: Record<string, Check>;
  readonly metrics: { readonly registry: Registry; readonly http: ApiMetrics['httpSeconds'] };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    // The assertion picks Fastify's logger type parameter, so the instance is a plain FastifyInstance.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new AccessLog(),
    bodyLimit: deps.config.bodyLimitBytes,
    // A caller's X-Request-Id is kept when it is sane, so its logs and ours line up.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      // Fastify's defaults would quietly drop unknown fields and turn 42 into "42"; a bad
      // request must be rejected and named instead. allErrors: every invalid field at once.
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false },
    },
    // A client that sent half a request and went silent must not hold a socket forever.
    requestTimeout: 30_000,
    return503OnClosing: true,
    // Behind a reverse proxy every request comes from the proxy: without this, all clients
    // would share one rate-limit bucket. Only listed proxies are believed, so a client
    // cannot pick its own address by sending X-Forwarded-For.
    ...(deps.config.trustedProxies.length > 0 ? { trustProxy: [...deps.config.trustedProxies] } : {}),
  });

  app.decorateRequest('outcome', undefined);
  // JSON only: text/plain is Fastify's other default parser, and a signup is never text.
  app.removeContentTypeParser('text/plain');
  // While closing, answer in-flight requests with Connection: close, so keep-alive sockets
  // end with their last response instead of holding shutdown open until they time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
  });

  // Shared schemas by $id: the OpenAPI document lists them under components.schemas.
  for (const schema of [SignupRequest, SignupAccepted, ErrorResponse, ReadinessReport]) app.addSchema(schema);
  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      info: {
        title: 'signup-pipeline API',
        version: '1.0.0',
        description: 'Accepts user signups and publishes them to Kafka as UserSignedUp events.',
      },
    },
  });
  // /docs sends its own Content-Security-Policy (hashes for Swagger UI's scripts); the rest
  // of the API answers JSON, where helmet's other headers are the ones that matter.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  // Security headers on every response. CORS stance: no CORS headers at all, so browsers
  // refuse cross-origin calls; the signup form is served from the API's own origin, or a
  // backend calls it (README, 'Security').
  await app.register(securityHeaders);
  // Per client address (request.ip: the connecting address, or behind API_TRUSTED_PROXIES the
  // client they name); only routes that opt in (POST /signup) are limited. The counters are
  // per process: behind several instances the limit applies per instance.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      code: 'RATE_LIMITED',
      message: `too many signups from this address: at most ${context.max} per ${context.after}; retry after the Retry-After seconds`,
    }),
  });

  registerErrorHandlers(app);
  await app.register(metricsRoute, deps.metrics);
  await app.register(healthRoutes, { checks: deps.readinessChecks });
  await app.register(signupRoute, { publisher: deps.publisher, userIds: deps.userIds, rateLimit: deps.config.rateLimit });
  return app;
}
