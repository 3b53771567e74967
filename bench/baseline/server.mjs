// The classic tutorial stack the signup path is measured against: Express, kafkajs, the
// event as JSON.stringify, one awaited producer.send() per request. Same topic settings
// and broker as the real API; no schema registry, no validation library.
import express from 'express';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

const port = Number(process.env.PORT ?? 3102);
const topic = process.env.TOPIC;
if (!topic) throw new Error('TOPIC is required');
const kafka = new Kafka({ clientId: 'baseline', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true });
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
    await producer.send({ topic, acks: -1, messages: [{ key: event.userId, value: JSON.stringify(event) }] });
    res.status(201).json({ userId: event.userId, eventId: event.eventId, status: 'accepted' });
  } catch {
    res.status(503).json({ error: 'kafka unavailable' });
  }
});
app.listen(port, '127.0.0.1', () => console.log(`baseline listening on ${port}`));
