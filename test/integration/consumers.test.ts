// The consuming half against the real stack: every service on its own group, effects in
// the real SMTP sink and PostgreSQL, dead letters, replays, partition sharing, aborted
// transactions and schema evolution.
import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { eventCatalog, topicCatalog } from '../../src/events/catalog.js';
import { consumerGroups, SERVICE_NAMES, type ServiceName } from '../../src/services/catalog.js';
import { registerSchemas } from '../../src/registry/register-schemas.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_REGISTERED_FOR_ONBOARDING } from '../../src/events/user-registered-for-onboarding.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { DeadLetterHeaders, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createRegistryClient, createValueDeserializer, createValueSerializer } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { AnalyticsStore } from '../../src/services/analytics/store.js';
import { OnboardingStateStore } from '../../src/services/onboarding/tracker-store.js';
import { enrolmentFor } from '../../src/services/onboarding/enrolment.js';
import { normalizeEmail } from '../../src/api/identity.js';
import type { Config } from '../../src/config.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { readAtLeast, readTopic } from '../support/topics.js';
import { receivedMail } from '../support/mail.js';
import { eventually, startServiceUnderTest, type ServiceUnderTest } from '../support/services.js';
import { sleep } from '../support/sleep.js';

let config: Config;
let api: ApiUnderTest;
let pool: Pool;
let analytics: AnalyticsStore;
let onboardingState: OnboardingStateStore;
const services = new Map<string, ServiceUnderTest>();
/** Every service instance started, including replaced ones, for the log check. */
const allInstances: ServiceUnderTest[] = [];
async function start(name: Parameters<typeof startServiceUnderTest>[0], cfg: Config = config) {
  const service = await startServiceUnderTest(name, cfg);
  allInstances.push(service);
  return service;
}
const startedAt = Date.now();
const signedUp: Array<{ userId: string; eventId: string; email: string }> = [];

async function signup(email: string, headers: Record<string, string> = {}) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/signup',
    headers: { 'content-type': 'application/json', ...headers },
    payload: { email, username: email.split('@')[0]!.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32).padEnd(3, '_') },
  });
  expect(response.statusCode).toBe(201);
  const ids = response.json<{ userId: string; eventId: string }>();
  signedUp.push({ ...ids, email: normalizeEmail(email) });
  return ids;
}

const ourAddresses = () => new Set(signedUp.map((s) => s.email));

/** Waits until the onboarding group has committed past every signup on the topic now. */
async function onboardingAtTheEnd(what: string): Promise<void> {
  const admin = api.kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(config.topics.signups.name);
    await eventually(async () => {
      const committed = await admin.fetchOffsets({ groupId: consumerGroups(config).onboarding, topics: [config.topics.signups.name] });
      return committed[0]!.partitions.every((p) => BigInt(p.offset) >= BigInt(ends.find((e) => e.partition === p.partition)!.high));
    }, () => what);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  config = await isolatedConfig({ CONSUMER_INITIAL_BACKOFF_MS: '100', CONSUMER_MAX_BACKOFF_MS: '400', CONSUMER_MAX_ATTEMPTS: '3' });
  api = await startApiUnderTest(config);
  pool = createPool(config.database.url);
  analytics = new AnalyticsStore(pool, config.analytics.dbSchema);
  onboardingState = new OnboardingStateStore(pool);
  for (const name of SERVICE_NAMES) {
    services.set(name, await start(name));
  }
});

afterAll(async () => {
  for (const service of services.values()) await service.stop();
  await api?.stop();
  await pool?.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
  await pool?.end();
});

describe('a signup flows to every service', () => {
  it('sends the welcome email, moves the analytics counts, publishes and tracks the onboarding enrolment', async () => {
    const domains = ['example.com', 'example.org', 'Example.org'];
    const ids: Array<{ userId: string; eventId: string }> = [];
    for (let i = 0; i < 12; i++) ids.push(await signup(`flow${i}-${randomUUID().slice(0, 8)}@${domains[i % 3]}`));

    await eventually(
      () => receivedMail(startedAt, ourAddresses()).length === 12,
      () => `${receivedMail(startedAt, ourAddresses()).length} of 12 welcome emails`,
    );
    await eventually(async () => (await analytics.counts()).total === 12, async () => `analytics total ${(await analytics.counts()).total}`);
    await eventually(
      async () => (await onboardingState.forUsers(ids.map((i) => i.userId))).length === 12,
      async () => `${(await onboardingState.forUsers(ids.map((i) => i.userId))).length} of 12 onboarding states`,
    );

    const counts = await analytics.counts();
    expect(counts.byDomain).toEqual({ 'example.com': 4, 'example.org': 8 });
    expect(Object.values(counts.byDay).reduce((a, b) => a + b, 0)).toBe(12);
    expect(Object.values(counts.byHour).reduce((a, b) => a + b, 0)).toBe(12);

    const mails = receivedMail(startedAt, ourAddresses());
    for (const { userId } of ids) expect(mails.some((m) => m.messageId === `<welcome.${userId}@signup-pipeline.invalid>`)).toBe(true);
    const parsed = await simpleParser(mails[0]!.raw);
    expect(parsed.subject).toMatch(/^Welcome, /);
    expect(parsed.text).toContain('welcome aboard');
    expect(parsed.html).toContain('<p>Hello ');

    const states = await onboardingState.forUsers(ids.map((i) => i.userId));
    expect(states.every((s) => s.state === 'started' && s.plan === 'standard')).toBe(true);

    const enrolments = await readAtLeast(config.kafka, config.topics.onboarding.name, 12);
    const decode = createValueDeserializer(createRegistryClient(config.registry));
    const first = (await decode.deserialize(config.topics.onboarding.name, enrolments[0]!.value)) as { userId: string; steps: string[] };
    expect(enrolments[0]!.key).toBe(first.userId);
    expect(first.steps).toEqual(['verify-email', 'complete-profile', 'take-the-tour']);
    expect(enrolments[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
  });

  it('acts once on a retried request (same Idempotency-Key): one email, one count', async () => {
    const before = (await analytics.counts()).total;
    const email = `retry-${randomUUID().slice(0, 8)}@example.net`;
    const first = await signup(email, { 'idempotency-key': `k-${email}` });
    const second = await signup(email, { 'idempotency-key': `k-${email}` });
    expect(second).toEqual(first);
    await eventually(() => receivedMail(startedAt, new Set([email])).length >= 1, () => 'the retried signup’s email');
    await eventually(async () => (await analytics.counts()).total === before + 1, async () => `total ${(await analytics.counts()).total}`);
    // Both events are on the topic; give the services time to (not) act on the second.
    await sleep(1500);
    expect(receivedMail(startedAt, new Set([email]))).toHaveLength(1);
    expect((await analytics.counts()).total).toBe(before + 1);
  });
});

describe('one account per address', () => {
  it('turns repeats by every route into one user: one id, one email, one count, one enrolment', async () => {
    const before = (await analytics.counts()).total;
    const local = `repeat-${randomUUID().slice(0, 8)}`;
    const email = `${local}@example.net`;
    const inject = (address: string, username: string, headers: Record<string, string> = {}) =>
      api.app.inject({ method: 'POST', url: '/signup', headers: { 'content-type': 'application/json', ...headers }, payload: { email: address, username } });
    // A double click (two at once), a retry without a key, the domain and the local part in
    // other cases, a different username, two requests with keys (one reused).
    const responses = await Promise.all([inject(email, 'first_name'), inject(email, 'first_name')]);
    responses.push(await inject(email, 'first_name'));
    responses.push(await inject(` ${local}@EXAMPLE.NET `, 'first_name'));
    responses.push(await inject(`${local.toUpperCase()}@Example.net`, 'first_name'));
    responses.push(await inject(email, 'another_name'));
    responses.push(await inject(email, 'first_name', { 'idempotency-key': `k-${local}` }));
    responses.push(await inject(email, 'first_name', { 'idempotency-key': `k-${local}` }));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    const bodies = responses.map((r) => r.json<{ userId: string; eventId: string; status: string }>());
    expect(new Set(bodies.map((b) => b.userId)).size).toBe(1);
    expect(bodies[6]!.eventId).toBe(bodies[7]!.eventId);
    const { userId } = bodies[0]!;
    signedUp.push({ userId, eventId: bodies[0]!.eventId, email });

    await eventually(async () => (await onboardingState.forUsers([userId])).length === 1, () => 'the repeated user’s onboarding state');
    await eventually(() => receivedMail(startedAt, new Set([email])).length >= 1, () => 'the repeated user’s welcome email');
    // Every event of the user is on one partition, behind the first: once the onboarding
    // group has passed the last one, nothing more can come of them.
    await onboardingAtTheEnd('the onboarding group past every repeated signup');
    await sleep(1500); // email and analytics: time to (not) act again

    const mails = receivedMail(startedAt, new Set([email, ` ${local}@example.net`.trim(), `${local.toUpperCase()}@example.net`]));
    expect(new Set(mails.map((m) => m.messageId))).toEqual(new Set([`<welcome.${userId}@signup-pipeline.invalid>`]));
    expect(mails).toHaveLength(1);
    expect((await analytics.counts()).total).toBe(before + 1);
    const enrolments = (await readTopic(config.kafka, config.topics.onboarding.name, { readCommitted: true })).filter((r) => r.key === userId);
    expect(enrolments).toHaveLength(1);
    // The first signup on the partition is the one kept: its username.
    const decode = createValueDeserializer(createRegistryClient(config.registry));
    expect(((await decode.deserialize(config.topics.onboarding.name, enrolments[0]!.value)) as { username: string }).username).toBe('first_name');
  });
});

describe('trace context', () => {
  it('lets one signup be followed by its trace id from the HTTP request through every service', async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const email = `traced-${randomUUID().slice(0, 8)}@example.com`;
    const { userId } = await signup(email, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const linesWith = (lines: readonly string[], msg: string) =>
      lines.map((l) => JSON.parse(l) as { msg: string; traceparent?: string; userId?: string }).filter((l) => l.msg === msg && l.traceparent?.includes(traceId));
    // Keyed by every service in the catalog: a new one does not type-check without its step.
    const steps: Record<ServiceName, string> = {
      email: 'welcome email sent',
      analytics: 'signup counted',
      onboarding: 'enrolling user in onboarding',
      'onboarding-tracker': 'onboarding state recorded',
    };
    for (const [service, msg] of Object.entries(steps)) {
      await eventually(() => linesWith(services.get(service)!.logLines, msg).length > 0, () => `${service}: "${msg}" with trace ${traceId}`);
      expect(linesWith(services.get(service)!.logLines, msg)[0]!.userId).toBe(userId);
    }
    expect(linesWith(api.logLines, 'signup accepted')).toHaveLength(1);
  });
});

describe('records that cannot be handled', () => {
  it('dead-letters garbage, an unknown schema id and a wrong magic byte in every group, and handles the next record', async () => {
    const producer = api.kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
    await producer.connect();
    const poison = [
      Buffer.from('not avro at all'),
      Buffer.from([0, 0x7f, 0xff, 0xff, 0xfe, 1, 2, 3]),
      Buffer.from([1, 0, 0, 0, 1, 2, 4, 6]),
    ];
    await producer.send({ topic: config.topics.signups.name, messages: poison.map((value, i) => ({ key: 'poison-key', value, headers: { probe: String(i) } })) });
    await producer.disconnect();
    const after = await signup(`after-poison-${randomUUID().slice(0, 8)}@example.com`);

    for (const group of [consumerGroups(config).email, consumerGroups(config).analytics, consumerGroups(config).onboarding]) {
      const dead = await readAtLeast(config.kafka, deadLetterTopic(group), 3);
      expect(dead.map((d) => d.value.toString('hex')).sort()).toEqual(poison.map((p) => p.toString('hex')).sort());
      for (const record of dead) {
        expect(record.key).toBe('poison-key');
        expect(record.headers[DeadLetterHeaders.errorType]).toBe('PoisonRecordError');
        expect(record.headers[DeadLetterHeaders.sourceTopic]).toBe(config.topics.signups.name);
        expect(record.headers[DeadLetterHeaders.group]).toBe(group);
        expect(record.headers[DeadLetterHeaders.attempts]).toBe('1');
        expect(record.headers.probe).toMatch(/^[012]$/);
        expect(Number(record.headers[DeadLetterHeaders.sourceOffset])).toBeGreaterThanOrEqual(0);
      }
      const reasons = dead.map((d) => d.headers[DeadLetterHeaders.errorMessage]).join(' | ');
      expect(reasons).toMatch(/unknown magic byte 1/);
      expect(reasons).toMatch(/schema id 2147483646 is unknown/);
    }
    await eventually(
      async () => (await onboardingState.forUsers([after.userId])).length === 1,
      () => 'the signup after the poison records reaching the onboarding tracker',
    );
    // The depth is on every service's /metrics, onboarding's transactional dead-letter topic included.
    for (const name of ['email', 'onboarding'] as const) {
      const metrics = await services.get(name)!.metrics.metrics();
      expect(metrics).toMatch(new RegExp(`\\ndead_letters\\{group="${consumerGroups(config)[name]}"[^}]*\\} 3\\n`));
    }
  });
});

describe('an aborted onboarding transaction', () => {
  it('is never seen by the read_committed tracker; a committed one is', async () => {
    const registry = createRegistryClient(config.registry);
    const subject = valueSubject(config.topics.onboarding.name);
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, subject, loadSchemaHistory(USER_REGISTERED_FOR_ONBOARDING).latest));
    const enrolment = (userId: string) =>
      enrolmentFor({ eventId: randomUUID(), userId, email: 'x@example.com', username: 'tx', occurredAt: new Date(), locale: null });
    const abortedUser = randomUUID();
    const committedUser = randomUUID();
    const producer = api.kafka.producer({ kafkaJS: { transactionalId: `test-aborter-${randomUUID()}`, idempotent: true, acks: -1, maxInFlightRequests: 1 } });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic: config.topics.onboarding.name, messages: [{ key: abortedUser, value: await serializer.serialize(config.topics.onboarding.name, enrolment(abortedUser)) }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: config.topics.onboarding.name, messages: [{ key: committedUser, value: await serializer.serialize(config.topics.onboarding.name, enrolment(committedUser)) }] });
      await committed.commit();
    } finally {
      await producer.disconnect();
    }
    await eventually(async () => (await onboardingState.forUsers([committedUser])).length === 1, () => 'the committed enrolment tracked');
    expect(await onboardingState.forUsers([abortedUser])).toEqual([]);
  });
});

describe('schema evolution through a consumer', () => {
  it('handles an event written with v1 by a service that reads with v2', async () => {
    const registry = createRegistryClient(config.registry);
    const topic = config.topics.signups.name;
    const v1 = loadSchemaHistory(USER_SIGNED_UP).versions[0]!;
    const serializer = createValueSerializer(registry, await registeredSchemaId(registry, valueSubject(topic), v1));
    const event = { eventId: randomUUID(), userId: randomUUID(), email: `old-writer-${randomUUID().slice(0, 8)}@example.com`, username: 'old_writer', occurredAt: new Date() };
    const producer = api.kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: event.userId, value: await serializer.serialize(topic, event) }] });
    await producer.disconnect();
    signedUp.push(event);

    await eventually(() => receivedMail(startedAt, new Set([event.email])).length === 1, () => 'the v1 event’s welcome email');
    await eventually(async () => (await onboardingState.forUsers([event.userId])).length === 1, () => 'the v1 event’s onboarding state');
    expect(receivedMail(startedAt, new Set([event.email]))[0]!.messageId).toBe(`<welcome.${event.userId}@signup-pipeline.invalid>`);
  });
});

describe('replays and groups', () => {
  it('rebuilding analytics (clear the tables, replay from the earliest offset) reproduces the same counts', async () => {
    const before = await analytics.counts();
    expect(before.total).toBeGreaterThan(10);
    await services.get('analytics')!.stop();
    await analytics.clear();
    expect((await analytics.counts()).total).toBe(0);
    services.set('analytics', await start('analytics'));
    await eventually(async () => (await analytics.counts()).total === before.total, async () => `rebuilt total ${(await analytics.counts()).total} of ${before.total}`);
    expect(await analytics.counts()).toEqual(before);
  });

  it('replaying the email group from the beginning sends nothing new', async () => {
    const before = receivedMail(startedAt, ourAddresses()).length;
    await services.get('email')!.stop();
    const admin = api.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([consumerGroups(config).email]); // no committed offsets: the group starts over
    await admin.disconnect();
    const replay = await start('email');
    services.set('email', replay);
    await eventually(
      () => replay.logLines.filter((l) => l.includes('welcome email already sent')).length >= before,
      () => `${replay.logLines.filter((l) => l.includes('welcome email already sent')).length} of ${before} records replayed`,
    );
    expect(receivedMail(startedAt, ourAddresses())).toHaveLength(before);
  });

  it('replaying the onboarding group from the beginning publishes no second enrolment', async () => {
    const enrolments = async () => (await readTopic(config.kafka, config.topics.onboarding.name, { readCommitted: true })).map((r) => r.key);
    const before = await enrolments();
    expect(before.length).toBeGreaterThan(10);
    await services.get('onboarding')!.stop();
    const admin = api.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([consumerGroups(config).onboarding]);
    await admin.disconnect();
    const replay = await start('onboarding');
    services.set('onboarding', replay);
    await onboardingAtTheEnd('the replayed onboarding group at the end of the signups');
    expect((await enrolments()).sort()).toEqual(before.sort());
    expect(replay.logLines.filter((l) => l.includes('user already enrolled')).length).toBeGreaterThanOrEqual(before.length);
  });

  it('two instances of one group split the partitions; another group receives every event again', async () => {
    const second = await start('email');
    try {
      const assignments = (s: ServiceUnderTest) => s.consumer.assignment().map((tp: KafkaJS.TopicPartition) => tp.partition);
      await eventually(
        () => assignments(second).length > 0 && assignments(services.get('email')!).length + assignments(second).length === config.topics.signups.partitions,
        () => `assignments ${JSON.stringify([assignments(services.get('email')!), assignments(second)])}`,
      );
      const all = [...assignments(services.get('email')!), ...assignments(second)].sort();
      expect(all).toEqual(Array.from({ length: config.topics.signups.partitions }, (_, i) => i));
    } finally {
      await second.stop();
    }

    const otherSchema = `${config.analytics.dbSchema}_b`;
    const other = { ...config, consumers: { ...config.consumers, groupPrefix: `${config.consumers.groupPrefix}other.` }, analytics: { dbSchema: otherSchema } };
    // Its own dead-letter topic must exist like every other group's.
    const admin = api.kafka.admin();
    await admin.connect();
    await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(other), topics: topicCatalog(other) });
    await admin.disconnect();
    const otherGroup = await start('analytics', other);
    const otherStore = new AnalyticsStore(pool, otherSchema);
    try {
      const expected = (await analytics.counts()).total;
      await eventually(
        async () => (await otherStore.counts()).total === expected,
        async () => `other group counted ${(await otherStore.counts()).total} of ${expected}; its warnings: ${otherGroup.logLines.filter((l) => !l.startsWith('{"level":30')).join('\n').slice(-3000)}; assigned ${JSON.stringify(otherGroup.consumer.assignment())}`,
      );
    } finally {
      await otherGroup.stop();
      await pool.query(`DROP SCHEMA IF EXISTS ${otherSchema} CASCADE`);
    }
  });
});

describe('logs', () => {
  it('of every service carry no raw email address', () => {
    const everything = allInstances.flatMap((s) => s.logLines).join('\n');
    for (const { email } of signedUp) expect(everything).not.toContain(email);
    expect(everything).toContain('welcome email sent');
  });
});
