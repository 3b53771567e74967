// Ceiling: the bare framework writing one access-log line per request at info, as the API
// does at its default level: Fastify's own pino logger and request serializers, the line
// written when the response is done. What a request costs before any signup work.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const port = Number(process.env.PORT ?? 3107);
const app = Fastify({ logger: { level: 'info' }, disableRequestLogging: true });
app.addHook('onResponse', (request, reply, done) => {
  request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  done();
});
app.post('/signup', async (_request, reply) => reply.code(201).send({ userId: randomUUID(), eventId: randomUUID(), status: 'accepted' }));
await app.listen({ host: '127.0.0.1', port });
