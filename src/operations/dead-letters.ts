// Reading a dead-letter topic and sending chosen records back to where they came from.
// Re-published records keep their key, value and original headers; the dlq.* headers are
// dropped and `dlq.republished-from` says which dead letter they were. All consumers of
// the source topic see them again, which is safe: every handler is idempotent.
import { randomUUID } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Kafka } from '../kafka/client.js';
import { DeadLetterHeaders } from '../kafka/consumer/dead-letter.js';
import type { Producer } from '../kafka/producer.js';

export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Every record currently in the dead-letter topic, read with a throwaway group. */
export async function readDeadLetters(kafka: Kafka, admin: KafkaJS.Admin, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((w) => [w.partition, { low: BigInt(w.low), high: BigInt(w.high) }]));
  const remaining = new Set([...ends].filter(([, w]) => w.high > w.low).map(([p]) => p));
  const letters: DeadLetter[] = [];
  if (remaining.size === 0) return letters;
  const reader = kafka.consumer({ kafkaJS: { groupId: `dlq-reader-${randomUUID()}`, fromBeginning: true, autoCommit: false } });
  await reader.connect();
  try {
    await reader.subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${letters.length} dead letters from ${topic} before timing out`)), timeoutMs);
      void reader.run({
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition)!.high;
          if (BigInt(message.offset) < end) {
            letters.push({
              partition,
              offset: message.offset,
              key: message.key ?? null,
              value: message.value,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            });
          }
          if (BigInt(message.offset) >= end - 1n) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await reader.disconnect();
  }
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

export async function republish(producer: Producer, dlqTopic: string, letters: readonly DeadLetter[]): Promise<number> {
  for (const letter of letters) {
    const source = letter.headers[DeadLetterHeaders.sourceTopic];
    if (!source) throw new Error(`dead letter ${letter.partition}:${letter.offset} has no ${DeadLetterHeaders.sourceTopic} header`);
    const headers = Object.fromEntries(Object.entries(letter.headers).filter(([k]) => !k.startsWith('dlq.')));
    headers['dlq.republished-from'] = `${dlqTopic}/${letter.partition}/${letter.offset}`;
    const group = letter.headers[DeadLetterHeaders.group];
    if (group) headers[DeadLetterHeaders.replayForGroup] = group;
    await producer.send({ topic: source, messages: [{ key: letter.key, value: letter.value, headers }] });
  }
  return letters.length;
}
