// The bare framework writing one access-log line per request at info, as the API does at
// its default level: Fastify's own pino logger and request serializers, the line written
// when the response is done. Shared by the ceilings that must pay for the same line.
import Fastify from 'fastify';

export function loggedFastify() {
  const app = Fastify({ logger: { level: 'info' }, disableRequestLogging: true });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
  return app;
}
