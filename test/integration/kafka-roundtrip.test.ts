// The stack end to end: a schema registered in the registry, a record serialized against
// it and produced to the real broker, consumed by a librdkafka consumer and decoded again.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import {
  createRegistryClient,
  createValueDeserializer,
  createValueSerializer,
  type SchemaRegistryClient,
} from '../../src/registry/client.js';
import { createLogger } from '../../src/logger.js';
import { AvroEncoder } from '../../src/registry/avro-encoder.js';
import { withTimeout } from '../support/kafka.js';
import { stackConfig } from '../support/stack-env.js';

const schema = {
  type: 'record',
  name: 'StackProbe',
  namespace: 'test.stack',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'sequence', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

interface StackProbe {
  id: string;
  sequence: number;
  at: Date;
}

describe('Kafka + schema registry round trip', () => {
  const config = stackConfig();
  const logger = createLogger('warn', 'test');
  const topic = `stack-probe-${randomUUID()}`;
  let kafka: Kafka;
  let admin: KafkaJS.Admin;
  let registry: SchemaRegistryClient;
  let schemaId: number;

  beforeAll(async () => {
    kafka = createKafka(config.kafka, logger);
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    registry = createRegistryClient(config.registry);
    schemaId = await registry.register(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(schema) });
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
    await registry?.deleteSubject(`${topic}-value`, false).catch(() => undefined);
    await registry?.deleteSubject(`${topic}-value`, true).catch(() => undefined);
  });

  it('serializes to the Confluent wire format with the registered schema id', async () => {
    const bytes = await createValueSerializer(registry, schemaId).serialize(topic, probe(0));
    expect(bytes[0]).toBe(0); // magic byte
    expect(bytes.readUInt32BE(1)).toBe(schemaId);
    expect(bytes.length).toBeGreaterThan(5);
  });

  it("encodes with the pinned AvroEncoder to exactly the registry client's bytes, which its deserializer reads back", async () => {
    const value = probe(7);
    const ours = new AvroEncoder<StackProbe>(schemaId, JSON.stringify(schema)).encode(value);
    expect(ours.equals(await createValueSerializer(registry, schemaId).serialize(topic, value))).toBe(true);
    expect(await createValueDeserializer(registry).deserialize(topic, ours)).toEqual(value);
  });

  it('produces with a librdkafka producer and consumes and decodes what was produced', async () => {
    const serializer = createValueSerializer(registry, schemaId);
    const sent = Array.from({ length: 20 }, (_, i) => probe(i));
    const producer = createIdempotentProducer(kafka, { lingerMs: 5, deliveryTimeoutMs: 10_000 });
    await producer.connect();
    try {
      const acks = await Promise.all(
        sent.map(async (value) =>
          producer.send({
            topic,
            messages: [{ key: value.id, value: await serializer.serialize(topic, value) }],
          }),
        ),
      );
      expect(acks.flat().every((ack) => ack.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }

    const deserializer = createValueDeserializer(createRegistryClient(config.registry));
    const received: Array<{ key: string; partition: number; value: StackProbe }> = [];
    const consumer = kafka.consumer({ kafkaJS: { groupId: `stack-probe-${randomUUID()}`, fromBeginning: true } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic] });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            received.push({
              key: message.key!.toString(),
              partition,
              value: (await deserializer.deserialize(topic, message.value!)) as StackProbe,
            });
            if (received.length === sent.length) resolve();
          },
        });
      });
      await withTimeout(done, 30_000, `consumed ${received.length} of ${sent.length} records`);
    } finally {
      await consumer.disconnect();
    }

    const byId = new Map(received.map((r) => [r.value.id, r]));
    expect(byId.size).toBe(sent.length);
    for (const value of sent) {
      const got = byId.get(value.id)!;
      expect(got.key).toBe(value.id);
      expect(got.value).toEqual(value);
    }
    // The records spread over the topic's partitions by key.
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });
});

function probe(sequence: number): StackProbe {
  return { id: randomUUID(), sequence, at: new Date(Date.UTC(2026, 10, 24, 12, 0, 0, sequence)) };
}
