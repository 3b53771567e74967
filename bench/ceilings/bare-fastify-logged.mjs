// Ceiling: the bare framework writing one access-log line per request at info, as the API
// does at its default level (logged-fastify.mjs). What a request costs before any signup work.
import { randomUUID } from 'node:crypto';
import { loggedFastify } from './logged-fastify.mjs';

const port = Number(process.env.PORT ?? 3107);
const app = loggedFastify();
app.post('/signup', async (_request, reply) => reply.code(201).send({ userId: randomUUID(), eventId: randomUUID(), status: 'accepted' }));
await app.listen({ host: '127.0.0.1', port });
