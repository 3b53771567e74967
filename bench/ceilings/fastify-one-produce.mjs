// Ceiling: the least any HTTP-to-Kafka signup does. Bare Fastify with the same access-log
// line as bare-fastify-logged.mjs (logged-fastify.mjs), plus one produce per request,
// awaited until Kafka acknowledges it, with the API's delivery guarantees (idempotent,
// acks=all, linger 0, murmur2 on a uuid key) and an event-sized value. No validation, no schema, no headers,
// no metrics. It uses the client's lower-level produce with a delivery callback, the
// cheapest path the client offers: one promise per request, made here.
import { randomUUID } from 'node:crypto';
import Kafka from '@confluentinc/kafka-javascript';
import { loggedFastify } from './logged-fastify.mjs';

const port = Number(process.env.PORT ?? 3108);
const topic = process.env.TOPIC;
if (!topic) throw new Error('TOPIC is required');
// About the size of an Avro UserSignedUp with its 5-byte wire-format header.
const value = Buffer.alloc(128, 0x61);

const producer = new Kafka.Producer({
  'bootstrap.servers': process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  'enable.idempotence': true,
  acks: -1,
  'linger.ms': 0,
  partitioner: 'murmur2_random',
  dr_cb: true,
});
await new Promise((resolve, reject) => producer.connect({}, (error) => (error ? reject(error) : resolve())));
// Delivery reports are served on librdkafka's background thread, as the API's producer does.
producer.setPollInBackground(true);
producer.on('delivery-report', (error, report) => (error ? report.opaque.reject(error) : report.opaque.resolve(report)));
const send = (key) => new Promise((resolve, reject) => producer.produce(topic, -1, value, key, 0, { resolve, reject }));

const app = loggedFastify();
app.post('/signup', async (_request, reply) => {
  const userId = randomUUID();
  await send(userId);
  return reply.code(201).send({ userId, eventId: randomUUID(), status: 'accepted' });
});
await app.listen({ host: '127.0.0.1', port });
