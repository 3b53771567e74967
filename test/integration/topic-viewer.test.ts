// scripts/topic as a user runs it, on a topic of the test's own (the signup contract
// registered for it): every record with its value decoded by the writer schema, the
// selections, an undecodable value shown instead of ending the read, tail following new
// records until SIGTERM, aborted transactions hidden unless asked for, and no consumer group.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { createIdempotentProducer, type Producer } from '../../src/kafka/producer.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { isolatedConfig } from '../support/api.js';
import { root } from '../support/processes.js';
import { eventually } from '../support/services.js';

const script = `${root}scripts/topic`;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function topicTool(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(script, args, { cwd: root, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The JSON lines a run printed. */
const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let config: Config;
let topic: string;
let schemaId: number;
let producer: Producer;
let transactional: Producer;
let encode: (event: UserSignedUp) => Promise<Buffer>;
const run = randomUUID().slice(0, 8);
const event = (n: number): UserSignedUp => ({
  eventId: randomUUID(),
  userId: randomUUID(),
  email: `viewer-${run}-${n}@example.com`,
  username: `viewer_${n}`,
  occurredAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, n)),
  locale: n === 1 ? 'en-GB' : null,
});
const events = [event(0), event(1), event(2)];

beforeAll(async () => {
  config = await isolatedConfig();
  topic = config.topics.signups.name;
  const registry = createRegistryClient(config.registry);
  schemaId = await registeredSchemaId(registry, `${topic}-value`, loadSchemaHistory(USER_SIGNED_UP).latest);
  const serializer = createValueSerializer(registry, schemaId);
  encode = (e) => serializer.serialize(topic, e);
  const kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  producer = createIdempotentProducer(kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000 });
  transactional = createIdempotentProducer(kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000, transactionalId: `topic-viewer-test-${randomUUID()}` });
  await producer.connect();
  await transactional.connect();
  // Partition 0: two signups; partition 1: one, with headers; partition 2: a value that is not Avro.
  await producer.send({
    topic,
    messages: [
      { partition: 0, key: events[0]!.userId, value: await encode(events[0]!), headers: { 'request-id': `req-${run}-0` } },
      { partition: 0, key: events[1]!.userId, value: await encode(events[1]!), headers: { 'request-id': `req-${run}-1`, traceparent: '00-abc-def-01' } },
      { partition: 1, key: events[2]!.userId, value: await encode(events[2]!) },
      { partition: 2, key: 'not-avro', value: Buffer.from('{"plain":"json"}') },
    ],
  });
  // Partition 3: a transaction aborted, then one committed.
  for (const [key, outcome] of [['aborted', 'abort'], ['committed', 'commit']] as const) {
    const transaction = await transactional.transaction();
    await transaction.send({ topic, messages: [{ partition: 3, key, value: await encode(event(10)) }] });
    await (outcome === 'abort' ? transaction.abort() : transaction.commit());
  }
  // The first call builds the app when a source changed.
  expect((await topicTool('--help')).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await transactional?.disconnect();
});

describe('topic dump', () => {
  it('prints every committed record with its decoded value, key, partition, offset, schema id and headers, and exits 0', async () => {
    const outcome = await topicTool('dump', topic);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const records = lines(outcome.stdout);
    expect(records.map((r) => `${r.partition as number}:${r.offset as number}:${r.key as string}`)).toEqual([
      `0:0:${events[0]!.userId}`,
      `0:1:${events[1]!.userId}`,
      `1:0:${events[2]!.userId}`,
      '2:0:not-avro',
      '3:2:committed', // offset 0 is the aborted record, 1 its abort marker
    ]);
    const second = records[1]!;
    expect(second).toMatchObject({
      topic,
      schemaId,
      headers: { 'request-id': `req-${run}-1`, traceparent: '00-abc-def-01' },
      value: { ...events[1], occurredAt: '2026-01-02T03:04:05.001Z' },
    });
    expect(new Date(second.timestamp as string).getTime()).toBeGreaterThan(Date.now() - 600_000);
    expect(records[2]).toMatchObject({ headers: {}, value: { email: events[2]!.email, locale: null } });
  });

  it('shows an undecodable value with its error and first bytes instead of stopping', async () => {
    const records = lines((await topicTool('dump', topic, '--partition', '2')).stdout);
    expect(records).toEqual([
      expect.objectContaining({
        partition: 2,
        key: 'not-avro',
        schemaId: null,
        valueError: 'unknown magic byte 123 (expected 0)',
        valueBytes: 16,
        valueHex: Buffer.from('{"plain":"json"}').toString('hex'),
      }),
    ]);
    expect(records[0]).not.toHaveProperty('value');
  });

  it('reads one partition, from an offset, up to a limit', async () => {
    const fromOffset = lines((await topicTool('dump', topic, '--partition', '0', '--from-offset', '1')).stdout);
    expect(fromOffset.map((r) => r.key)).toEqual([events[1]!.userId]);
    const limited = await topicTool('dump', topic, '--limit', '2');
    expect(limited.code).toBe(0);
    expect(lines(limited.stdout).map((r) => r.key)).toEqual([events[0]!.userId, events[1]!.userId]);
    const pretty = await topicTool('dump', topic, '--partition', '1', '--pretty');
    expect(pretty.stdout).toContain(`\n  "partition": 1,\n`);
    expect((JSON.parse(pretty.stdout) as { value: { username: string } }).value.username).toBe('viewer_2');
  });

  it('starts at a time', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const outcome = await topicTool('dump', topic, '--from-time', later);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toBe('');
    const earlier = await topicTool('dump', topic, '--from-time', '2020-01-01T00:00:00Z', '--partition', '1');
    expect(lines(earlier.stdout).map((r) => r.key)).toEqual([events[2]!.userId]);
  });

  it('hides an aborted transactional record by default and shows it with --uncommitted', async () => {
    expect(lines((await topicTool('dump', topic, '--partition', '3')).stdout).map((r) => r.key)).toEqual(['committed']);
    expect(lines((await topicTool('dump', topic, '--partition', '3', '--uncommitted')).stdout).map((r) => `${r.offset as number}:${r.key as string}`)).toEqual([
      '0:aborted',
      '2:committed',
    ]);
  });

  it('refuses an unknown topic and an unknown partition: exit 1 with the reason', async () => {
    const unknown = await topicTool('dump', `no-such-topic-${run}`);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: `topic: topic no-such-topic-${run} does not exist\n` });
    const partition = await topicTool('dump', topic, '--partition', '99');
    expect(partition).toMatchObject({ code: 1, stdout: '' });
    expect(partition.stderr).toContain('has no partition 99');
  });
});

describe('topic tail', () => {
  it('prints the last N records, then records produced after it started, and exits 0 on SIGTERM', async () => {
    const child = spawn(script, ['tail', topic, '--last', '1', '--partition', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => stderr.includes(`following ${topic} from 0:1`), () => `stderr so far: ${stderr}`, 60_000);
      const late = event(20);
      await producer.send({ topic, messages: [{ partition: 0, key: late.userId, value: await encode(late) }] });
      await eventually(() => lines(stdout).length >= 2, () => `stdout so far: ${stdout}`);
      expect(lines(stdout)).toEqual([
        expect.objectContaining({ partition: 0, offset: 1, key: events[1]!.userId }),
        expect.objectContaining({ partition: 0, offset: 2, key: late.userId, schemaId, value: expect.objectContaining({ email: late.email }) }),
      ]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('reading without a consumer group', () => {
  it('leaves no group behind', async () => {
    const admin = createKafka(config.kafka, createLogger('warn', 'test')).admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => g.groupId).filter((id) => /^(partition-reader|topic-follower)-/.test(id))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
