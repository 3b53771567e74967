// scripts/dlq as an operator runs it, as a process against the real stack, on a config of
// the test's own (its own topics and group prefix, so its own dead-letter and handled
// topics): the letters are written here, shaped as the consumers write them. list shows
// what an operator needs and survives a value that does not decode; republish and discard
// mark letters handled; a handled letter is refused; two republish runs racing over the
// same letters put each on the source topic once.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { environmentOf, type Config } from '../../src/config.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { DeadLetterHeaders, deadLetterMessage, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createIdempotentProducer, type Producer } from '../../src/kafka/producer.js';
import { readTopicToEnd } from '../../src/kafka/topic-reader.js';
import { createLogger } from '../../src/logger.js';
import { DeadLetterDepth, readDeadLetters } from '../../src/operations/dead-letters.js';
import { createRegistryClient, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { consumerGroups } from '../../src/services/catalog.js';
import { isolatedConfig } from '../support/api.js';
import { buildDist, root } from '../support/processes.js';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let config: Config;
let admin: KafkaJS.Admin;
let producer: Producer;
let group: string;
let serialize: (event: object) => Promise<Buffer>;

beforeAll(async () => {
  await buildDist();
  config = await isolatedConfig();
  group = consumerGroups(config).email;
  const kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  admin = kafka.admin();
  await admin.connect();
  producer = createIdempotentProducer(kafka, { lingerMs: 1, deliveryTimeoutMs: 10_000 });
  await producer.connect();
  const registry = createRegistryClient(config.registry);
  const topic = config.topics.signups.name;
  const serializer = createValueSerializer(registry, await registeredSchemaId(registry, `${topic}-value`, loadSchemaHistory(USER_SIGNED_UP).latest));
  serialize = (event) => serializer.serialize(topic, event);
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
});

async function dlq(...args: string[]): Promise<Outcome> {
  const env = { ...process.env, ...environmentOf(config) };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['dist/cli/dlq.js', ...args], { cwd: root, env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface WrittenLetter {
  readonly position: string;
  readonly key: string;
  readonly eventId: string;
}

/** A dead letter as the email consumer writes it, of a signup (or of `raw` bytes), failed with `errorName`. */
async function deadLetter(errorName: string, raw?: Buffer): Promise<WrittenLetter> {
  const key = randomUUID();
  const eventId = randomUUID();
  const value = raw ?? (await serialize({ eventId, userId: key, email: `dlq-${key.slice(0, 8)}@example.com`, username: 'dlq_user', occurredAt: new Date(), locale: null }));
  const failure = Object.assign(new Error(`${errorName} for ${key.slice(0, 8)}`), { name: errorName });
  const message = deadLetterMessage({ topic: config.topics.signups.name, partition: 2, message: { key: Buffer.from(key), value, offset: '41', timestamp: String(Date.now()), attributes: 0, headers: {} } }, failure, group, 5);
  const [sent] = await producer.send({ topic: deadLetterTopic(group), messages: [message] });
  return { position: `${sent!.partition}:${sent!.baseOffset}`, key, eventId };
}

/** The block `dlq list` prints for the letter with this key. */
function blockOf(stdout: string, key: string): string {
  const lines = stdout.split('\n');
  const at = lines.findIndex((line) => line.includes(`key ${key}`));
  return at < 0 ? '' : lines.slice(at, at + 4).join('\n');
}

/** How many committed records on the source topic are re-publications of the letter at `position`. */
async function republications(position: string): Promise<number> {
  const topic = config.topics.signups.name;
  const records = await readTopicToEnd(config.kafka, topic, await admin.fetchTopicOffsets(topic), { readCommitted: true, timeoutMs: 30_000 });
  const from = `${deadLetterTopic(group)}/${position.replace(':', '/')}`;
  return records.filter((r) => r.headers[DeadLetterHeaders.republishedFrom] === from).length;
}

describe('dlq list', () => {
  it('shows each waiting letter: key, event and user id, error class and message, source, attempts and a value preview', async () => {
    const letter = await deadLetter('MailboxRefusedError');
    const { code, stdout, stderr } = await dlq('list', 'email');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^\\d+ dead letter\\(s\\) waiting in ${deadLetterTopic(group).replaceAll('.', '\\.')}\n`));
    const block = blockOf(stdout, letter.key);
    expect(block).toContain(`${letter.position}  key ${letter.key}  event ${letter.eventId}  user ${letter.key}  [waiting]`);
    expect(block).toContain(`MailboxRefusedError: MailboxRefusedError for ${letter.key.slice(0, 8)}`);
    expect(block).toMatch(new RegExp(`from ${config.topics.signups.name}/2/41 after 5 attempt\\(s\\) at \\d{4}-`));
    expect(block).toMatch(new RegExp(`value \\{"eventId":"${letter.eventId}","userId":"${letter.key}","email":"dlq-`));
    const preview = block.split('\n')[3]!.trim().slice('value '.length);
    expect(preview.length).toBeLessThanOrEqual(160);
  });

  it('shows a value that does not decode as its size, a hex preview and the decode error', async () => {
    const letter = await deadLetter('PoisonRecordError', Buffer.from('not avro at all'));
    const { code, stdout } = await dlq('list', 'email');
    expect(code).toBe(0);
    const block = blockOf(stdout, letter.key);
    expect(block).toContain(`${letter.position}  key ${letter.key}  [waiting]`);
    expect(block).toContain(`value (15 bytes, not decoded: unknown magic byte 110 (expected 0)) 0x${Buffer.from('not avro at all').toString('hex')}`);
  });

  it('--error lists only letters of that error class; --json prints one object per letter per line', async () => {
    const errorClass = `OnlyThisError${randomUUID().slice(0, 6)}`;
    const wanted = await deadLetter(errorClass);
    const other = await deadLetter('SomeOtherError');
    const text = await dlq('list', 'email', '--error', errorClass);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^1 dead letter\\(s\\) waiting with error ${errorClass} in `));
    expect(blockOf(text.stdout, wanted.key)).not.toBe('');
    expect(blockOf(text.stdout, other.key)).toBe('');

    const json = await dlq('list', 'email', '--error', errorClass, '--json');
    expect(json.code).toBe(0);
    const lines = json.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const view = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(view).toMatchObject({
      position: wanted.position,
      key: wanted.key,
      eventId: wanted.eventId,
      userId: wanted.key,
      error: { type: errorClass },
      source: { topic: config.topics.signups.name, partition: 2, offset: '41' },
      attempts: 5,
      handled: null,
      decodeError: null,
    });
  });
});

describe('dlq republish and discard', () => {
  it('republish sends the letter back and marks it handled: list hides it, --all shows it handled', async () => {
    const letter = await deadLetter('MailboxRefusedError');
    const republished = await dlq('republish', 'email', letter.position);
    expect(republished.stderr).toBe('');
    expect(republished).toMatchObject({ code: 0, stdout: `re-published 1 record(s) from ${deadLetterTopic(group)} to their source topic and marked them handled\n` });
    expect(await republications(letter.position)).toBe(1);

    const waiting = await dlq('list', 'email');
    expect(blockOf(waiting.stdout, letter.key)).toBe('');
    expect(waiting.stdout).toMatch(/\n\d+ handled letter\(s\) hidden \(--all shows them\)\n$/);
    const all = await dlq('list', 'email', '--all');
    expect(blockOf(all.stdout, letter.key)).toMatch(new RegExp(`\\[HANDLED: republished at \\d{4}-[^\\]]* to ${config.topics.signups.name}\\]`));
  });

  it('refuses a second republish of a handled letter (exit 3, saying when and how), and --again sends it again', async () => {
    const letter = await deadLetter('MailboxRefusedError');
    expect((await dlq('republish', 'email', letter.position)).code).toBe(0);
    const again = await dlq('republish', 'email', letter.position);
    expect(again.code).toBe(3);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`already handled.*\n  ${letter.position} republished at \\d{4}-\\S+ to ${config.topics.signups.name}`));
    expect(await republications(letter.position)).toBe(1);

    const forced = await dlq('republish', 'email', letter.position, '--again');
    expect(forced.code).toBe(0);
    expect(await republications(letter.position)).toBe(2);
  });

  it('two republish runs started at the same moment put each letter on the source topic once', async () => {
    const letters = [await deadLetter('MailboxRefusedError'), await deadLetter('MailboxRefusedError')];
    const positions = letters.map((l) => l.position);
    const runs = await Promise.all([dlq('republish', 'email', ...positions), dlq('republish', 'email', ...positions)]);
    const codes = runs.map((r) => r.code).sort();
    expect(codes, JSON.stringify(runs)).toEqual([0, 3]);
    const refused = runs.find((r) => r.code === 3)!;
    expect(refused.stderr).toMatch(/already handled|took over/);
    for (const position of positions) expect(await republications(position)).toBe(1);
  });

  it('discard marks a letter handled without re-publishing it', async () => {
    const letter = await deadLetter('PoisonRecordError', Buffer.from([0xde, 0xad]));
    const discarded = await dlq('discard', 'email', letter.position, '--reason', 'garbage from a test client');
    expect(discarded).toMatchObject({ code: 0, stderr: '' });
    expect(discarded.stdout).toContain('discarded 1 dead letter(s)');
    expect(await republications(letter.position)).toBe(0);
    expect(blockOf((await dlq('list', 'email')).stdout, letter.key)).toBe('');
    expect(blockOf((await dlq('list', 'email', '--all')).stdout, letter.key)).toMatch(/\[HANDLED: discarded at \d{4}-\S+: garbage from a test client\]/);
    const republish = await dlq('republish', 'email', letter.position);
    expect(republish.code).toBe(3);
    expect(republish.stderr).toContain(`${letter.position} discarded at`);
    expect(await republications(letter.position)).toBe(0);
  });

  it('republish --all sends every letter still waiting, and none already handled', async () => {
    const handled = await deadLetter('MailboxRefusedError');
    expect((await dlq('discard', 'email', handled.position, '--reason', 'not wanted')).code).toBe(0);
    const waiting = await deadLetter('MailboxRefusedError');
    const all = await dlq('republish', 'email', '--all');
    expect(all.code).toBe(0);
    expect(await republications(waiting.position)).toBe(1);
    expect(await republications(handled.position)).toBe(0);
    const listed = await dlq('list', 'email');
    expect(listed.stdout).toMatch(/^0 dead letter\(s\) waiting in /);
    // The gauge and the dashboard count the same: letters still waiting, not letters kept.
    expect(await readDeadLetters(config.kafka, admin, deadLetterTopic(group))).not.toHaveLength(0);
    expect(await new DeadLetterDepth(config.kafka, admin).of(deadLetterTopic(group))).toBe(0);
  });
});
