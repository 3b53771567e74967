// scripts/kafka as a user runs it against the running stack: Kafka's own tools from the
// stack's Maven-resolved jars, the bootstrap server filled in from .stack/env, and the
// stack's SASL listener reached with the app's SASL settings turned into --command-config.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { createLogger } from '../../src/logger.js';
import { kafkaTool } from '../support/kafka-tool.js';
import { stackConfig, stackEnv } from '../support/stack-env.js';

const id = randomUUID();
const topic = `kafka-tools-test-${id}`;
const group = `kafka-tools-test-${id}`;
let config: Config;
let kafka: Kafka;

beforeAll(async () => {
  config = stackConfig();
  kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: config.topics.replicationFactor }] });
  await admin.disconnect();
  const producer = createIdempotentProducer(kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000 });
  await producer.connect();
  await producer.send({ topic, messages: [0, 0, 0, 1, 1].map((partition, n) => ({ partition, key: `k${n}`, value: `v${n}` })) });
  await producer.disconnect();
  // The group has read 1 of partition 0's 3 records and all of partition 1's 2.
  const committer = kafka.consumer({ kafkaJS: { groupId: group, autoCommit: false } });
  await committer.connect();
  await committer.commitOffsets([
    { topic, partition: 0, offset: '1' },
    { topic, partition: 1, offset: '2' },
  ]);
  await committer.disconnect();
}, 120_000);

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('scripts/kafka', () => {
  it('--help lists the tools and their classes', async () => {
    const outcome = await kafkaTool(['--help']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^usage: kafka <tool>/);
    expect(outcome.stdout).toMatch(/^ {2}topics +org\.apache\.kafka\.tools\.TopicCommand$/m);
    expect(outcome.stdout).toMatch(/^ {2}consumer-groups +org\.apache\.kafka\.tools\.consumer\.group\.ConsumerGroupCommand$/m);
    expect(outcome.stdout).toMatch(/^ {2}get-offsets +org\.apache\.kafka\.tools\.GetOffsetShell$/m);
    const wrong = await kafkaTool(['no-such-tool']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("no tool 'no-such-tool'");
  });

  it('topics --list lists the test topic, with the bootstrap server from .stack/env', async () => {
    const outcome = await kafkaTool(['topics', '--list']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.split('\n')).toContain(topic);
  });

  it("consumer-groups --describe shows the group's lag per partition", async () => {
    const outcome = await kafkaTool(['consumer-groups', '--describe', '--group', group]);
    expect(outcome.code).toBe(0);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    const rows = outcome.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => columns[0] === group && columns[1] === topic)
      .map((columns) => columns.slice(2, 6).join(' '))
      .sort();
    expect(rows).toEqual(['0 1 3 2', '1 2 2 0']);
  });

  it('get-offsets prints the end offset of each partition', async () => {
    const outcome = await kafkaTool(['get-offsets', '--topic', topic]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.split('\n').filter(Boolean).sort()).toEqual([`${topic}:0:3`, `${topic}:1:2`]);
  });

  it("reaches the stack's SASL/SCRAM listener with the app's SASL settings, and is refused with a wrong password", async () => {
    const env = stackEnv();
    if (!env.STACK_KAFKA_SASL_BROKERS) throw new Error('.stack/env names no SASL listener: run scripts/stack up');
    const sasl = (password: string) => ({
      ...process.env,
      KAFKA_BROKERS: env.STACK_KAFKA_SASL_BROKERS,
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: env.STACK_KAFKA_SASL_USERNAME,
      KAFKA_SASL_PASSWORD: password,
    });
    const outcome = await kafkaTool(['topics', '--list'], sasl(env.STACK_KAFKA_SASL_PASSWORD!));
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.split('\n')).toContain(topic);
    const refused = await kafkaTool(['topics', '--list'], sasl('not-the-password'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Authentication failed|SaslAuthenticationException/);
  });
});
