// Ceiling: the bare framework. A Fastify route that parses the same JSON body and answers
// 201 without touching Kafka.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const port = Number(process.env.PORT ?? 3103);
const app = Fastify({ logger: false });
app.post('/signup', async (_request, reply) => reply.code(201).send({ userId: randomUUID(), eventId: randomUUID(), status: 'accepted' }));
await app.listen({ host: '127.0.0.1', port });
console.log(`bare fastify listening on ${port}`);
