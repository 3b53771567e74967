// The stack the signup path is measured against, as the usual tutorial writes it: Express,
// kafkajs with its default producer, the event as JSON.stringify, no key, one awaited
// producer.send() per request. Same topic settings and broker as the real API; no schema
// registry, no validation library. PRODUCER=idempotent is the variant with kafkajs'
// idempotent producer and the user id as key (one request in flight per broker).
import express from 'express';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

const port = Number(process.env.PORT ?? 3102);
const topic = process.env.TOPIC;
if (!topic) throw new Error('TOPIC is required');
const idempotent = process.env.PRODUCER === 'idempotent';
const kafka = new Kafka({ clientId: 'baseline', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
const producer = idempotent ? kafka.producer({ idempotent: true }) : kafka.producer();
await producer.connect();

const app = express();
app.use(express.json({ limit: '4kb' }));
app.post('/signup', async (req, res) => {
  const { email, username } = req.body ?? {};
  if (typeof email !== 'string' || !email.includes('@') || typeof username !== 'string' || username.length < 3) {
    return res.status(400).json({ error: 'invalid signup' });
  }
  const event = { eventId: randomUUID(), userId: randomUUID(), email, username, occurredAt: new Date().toISOString() };
  try {
    const message = idempotent ? { key: event.userId, value: JSON.stringify(event) } : { value: JSON.stringify(event) };
    await producer.send({ topic, messages: [message] });
    res.status(201).json({ userId: event.userId, eventId: event.eventId, status: 'accepted' });
  } catch {
    res.status(503).json({ error: 'kafka unavailable' });
  }
});
app.listen(port, '127.0.0.1', () => console.log(`baseline (${idempotent ? 'idempotent producer' : 'as written'}) listening on ${port}`));
