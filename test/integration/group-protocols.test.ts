// The consumer runtime under both group protocols on the real broker: Kafka 4's consumer
// protocol (the default) and the classic one (for brokers before 4.0). A second member
// joins a busy group and leaves it again; the partitions are shared while both are in and
// all come back to the first; every record is handled, none twice.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsumerGroupProtocol } from '../../src/config.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { runConsumer, type RunningConsumer } from '../../src/kafka/consumer/runtime.js';
import type { RecordConsumerService } from '../../src/kafka/consumer/service.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { isolatedConfig } from '../support/api.js';
import { eventually } from '../support/services.js';

const PROTOCOLS: ReadonlyArray<ConsumerGroupProtocol> = [{ protocol: 'consumer' }, { protocol: 'classic', sessionTimeoutMs: 10_000 }];

describe.each(PROTOCOLS)('the $protocol group protocol', (group) => {
  it('shares the partitions with a member that joins, takes them back when it leaves, and handles every record once', async () => {
    const config = await isolatedConfig();
    const topic = config.topics.signups.name;
    const partitions = config.topics.signups.partitions;
    const logger = createLogger('warn', 'test');
    const kafka = createKafka(config.kafka, logger);
    const registry = createRegistryClient(config.registry);
    const schema = loadSchemaHistory(USER_SIGNED_UP).latest;
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, `${topic}-value`, schema));
    const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
    await producer.connect();
    let written = 0;
    const write = async (count: number) => {
      const events = Array.from({ length: count }, (_, i) => ({ eventId: randomUUID(), userId: randomUUID(), email: `p${written + i}@example.com`, username: `p${written + i}`, occurredAt: new Date(), locale: null }));
      await producer.send({ topic, messages: await Promise.all(events.map(async (e, i) => ({ partition: (written + i) % partitions, key: e.userId, value: await serializer.serialize(topic, e) }))) });
      written += count;
    };

    const handled = new Map<string, number>();
    const service: RecordConsumerService<UserSignedUp> = {
      name: 'protocol-probe',
      groupId: `${config.consumers.groupPrefix}protocol-probe`,
      topic,
      readerSchema: schema.schema,
      async handle(_event, { partition, offset }) {
        const key = `${partition}:${offset}`;
        handled.set(key, (handled.get(key) ?? 0) + 1);
      },
    };
    const member = () => runConsumer(service, { kafka, registry, logger, retry: config.consumers.retry, produceTimeoutMs: 5000, maxBatchSize: config.consumers.maxBatchSize, fetchWaitMs: config.consumers.fetchWaitMs, group });
    const members: RunningConsumer[] = [];
    try {
      const first = await member();
      members.push(first);
      await write(120);
      await eventually(() => handled.size === written, () => `handled ${handled.size} of ${written}`);
      expect(first.assignment()).toHaveLength(partitions);

      const second = await member();
      members.push(second);
      await eventually(
        () => second.assignment().length > 0 && first.assignment().length + second.assignment().length === partitions,
        () => `assigned ${first.assignment().length} + ${second.assignment().length}`,
      );
      await write(120);
      await eventually(() => handled.size === written, () => `handled ${handled.size} of ${written}`);

      await second.stop();
      members.pop();
      await eventually(() => first.assignment().length === partitions, () => `the first member has ${first.assignment().length} partitions`);
      await write(120);
      await eventually(() => handled.size === written, () => `handled ${handled.size} of ${written}`);
      expect([...handled.values()].filter((n) => n > 1)).toEqual([]);
    } finally {
      for (const m of members) await m.stop();
      await producer.disconnect();
    }
  }, 90_000);
});
