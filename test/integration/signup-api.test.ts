// POST /signup against the real stack: validation, the event on the topic, the wire format,
// keys and partitions, idempotent retries, health and the OpenAPI document.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createRegistryClient, createValueDeserializer } from '../../src/registry/client.js';
import { logicalTypes } from '../../src/registry/logical-types.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { readAtLeast } from '../support/topics.js';
import { sleep } from '../support/sleep.js';

const json = { 'content-type': 'application/json' };
let api: ApiUnderTest;
const accepted: Array<{ userId: string; eventId: string; email: string; username: string }> = [];
const rawEmailsSent = new Set<string>();

async function signup(body: unknown, headers: Record<string, string> = {}) {
  if (body && typeof body === 'object' && 'email' in body) rawEmailsSent.add(String(body.email));
  const response = await api.app.inject({
    method: 'POST',
    url: '/signup',
    headers: { ...json, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (response.statusCode === 201) {
    const ids = response.json<{ userId: string; eventId: string }>();
    const { email, username } = body as { email: string; username: string };
    accepted.push({ ...ids, email, username });
  }
  return response;
}

beforeAll(async () => {
  api = await startApiUnderTest(await isolatedConfig());
});

afterAll(async () => {
  await api?.stop();
});

describe('POST /signup validation', () => {
  const long = (n: number) => 'x'.repeat(n);
  it.each([
    ['missing email', { username: 'ada' }, [['email', 'is required']]],
    ['missing username', { email: 'ada@example.com' }, [['username', 'is required']]],
    ['both missing', {}, [['email', 'is required'], ['username', 'is required']]],
    ['email not an address', { email: 'ada', username: 'ada' }, [['email', 'must be an email address']]],
    ['email with spaces inside', { email: 'a da@example.com', username: 'ada' }, [['email', 'must be an email address']]],
    ['email too long', { email: `${long(250)}@x.io`, username: 'ada' }, [['email', 'must be at most 254 characters']]],
    ['email a number', { email: 42, username: 'ada' }, [['email', 'must be string']]],
    ['username too short', { email: 'ada@example.com', username: 'ad' }, [['username', /3 to 32 characters/]]],
    ['username too long', { email: 'ada@example.com', username: long(33) }, [['username', /3 to 32 characters/]]],
    ['username with a space', { email: 'ada@example.com', username: 'ada l' }, [['username', /letters, digits/]]],
    ['username starting with a dot', { email: 'ada@example.com', username: '.ada' }, [['username', /starting with a letter or digit/]]],
    ['username an object', { email: 'ada@example.com', username: { $ne: 1 } }, [['username', 'must be string']]],
    ['an extra field', { email: 'ada@example.com', username: 'ada', admin: true }, [['admin', 'is not allowed']]],
    ['a JSON array', [], [['(body)', 'must be object']]],
    ['JSON null', null, [['(body)', 'must be object']]],
  ] as const)('%s → 400 naming each field', async (_name, body, expected) => {
    const response = await signup(body);
    expect(response.statusCode).toBe(400);
    const error = response.json<{ code: string; details: Array<{ field: string; message: string }>; requestId: string }>();
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.requestId).toBe(response.headers['x-request-id']);
    expect(error.details).toHaveLength(expected.length);
    expected.forEach(([field, message], i) => {
      expect(error.details[i]!.field).toBe(field);
      if (typeof message === 'string') expect(error.details[i]!.message).toBe(message);
      else expect(error.details[i]!.message).toMatch(message);
    });
  });

  it('rejects malformed JSON with 400', async () => {
    const response = await signup('{"email": "ada@example.com",');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'MALFORMED_JSON', details: [{ field: '(body)', message: 'must be a JSON object' }] });
  });

  it('rejects an empty JSON body with 400', async () => {
    const response = await signup('');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'MALFORMED_JSON', details: [{ field: '(body)' }] });
  });

  it('rejects a __proto__ key with 400', async () => {
    const response = await signup('{"email":"ada@example.com","username":"ada","__proto__":{"admin":true}}');
    expect(response.statusCode).toBe(400);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('answers %s with 415', async (type) => {
    const response = await signup('email=ada@example.com&username=ada', { 'content-type': type });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      details: [{ field: 'content-type', message: 'must be application/json' }],
    });
  });

  it('answers a body over the limit with 413', async () => {
    const response = await signup({ email: 'ada@example.com', username: 'ada', padding: 'x'.repeat(api.config.api.bodyLimitBytes) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      statusCode: 413,
      code: 'BODY_TOO_LARGE',
      details: [{ field: '(body)', message: `must be at most ${api.config.api.bodyLimitBytes} bytes` }],
    });
  });

  it('rejects an Idempotency-Key with spaces or over 255 characters', async () => {
    for (const key of ['has space', 'k'.repeat(256)]) {
      const response = await signup({ email: 'ada@example.com', username: 'ada' }, { 'idempotency-key': key });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ details: Array<{ field: string }> }>().details[0]!.field).toBe('idempotency-key');
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/signups?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND', message: 'No route GET /signups' });
  });
});

describe('POST /signup publishing', () => {
  it('answers 201 with the ids, and the event on the topic decodes to the request with key = userId', async () => {
    const response = await signup(
      { email: '  Grace.Hopper@Navy.MIL ', username: 'grace.h' },
      { 'accept-language': 'en-US,en;q=0.8', 'x-request-id': 'req-grace-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    );
    expect(response.statusCode).toBe(201);
    const body = response.json<{ userId: string; eventId: string; status: string }>();
    expect(body.status).toBe('accepted');
    expect(response.headers['x-request-id']).toBe('req-grace-1');

    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    const record = records.find((r) => r.key === body.userId)!;
    expect(record).toBeDefined();
    const event = await createValueDeserializer(createRegistryClient(api.config.registry)).deserialize(api.config.topics.signups.name, record.value);
    expect(event).toEqual({
      eventId: body.eventId,
      userId: body.userId,
      email: 'Grace.Hopper@navy.mil',
      username: 'grace.h',
      occurredAt: expect.any(Date),
      locale: 'en-US',
    });
    expect(Math.abs((event as { occurredAt: Date }).occurredAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(record.headers['request-id']).toBe('req-grace-1');
    expect(record.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it('writes the Confluent wire format: magic byte 0, the registered id of the newest schema, the Avro body', async () => {
    const response = await signup({ email: 'wire@example.com', username: 'wire' });
    const { userId, eventId } = response.json<{ userId: string; eventId: string }>();
    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    const bytes = records.find((r) => r.key === userId)!.value;

    const latest = loadSchemaHistory(USER_SIGNED_UP).latest;
    const registeredId = await createRegistryClient(api.config.registry).getId(`${api.config.topics.signups.name}-value`, {
      schemaType: 'AVRO',
      schema: latest.schema,
    });
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(registeredId);
    const type = avro.Type.forSchema(JSON.parse(latest.schema) as avro.Schema, { logicalTypes });
    // The body is exactly the Avro encoding of the event, nothing before or after it.
    const decoded = type.fromBuffer(bytes.subarray(5)) as Record<string, unknown>;
    expect(decoded).toMatchObject({ userId, eventId, email: 'wire@example.com', username: 'wire', locale: null });
    expect(type.toBuffer(decoded).equals(bytes.subarray(5))).toBe(true);
  });

  it('gives a retried request with the same Idempotency-Key the same ids; another key only another eventId', async () => {
    const request = { email: 'retry@example.com', username: 'retry_me' };
    const first = await signup(request, { 'idempotency-key': 'signup-retry-7f3a' });
    const second = await signup(request, { 'idempotency-key': 'signup-retry-7f3a' });
    const other = await signup(request, { 'idempotency-key': 'signup-retry-other' });
    expect(first.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(other.json<{ userId: string }>().userId).toBe(first.json<{ userId: string }>().userId);
    expect(other.json<{ eventId: string }>().eventId).not.toBe(first.json<{ eventId: string }>().eventId);

    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    const copies = records.filter((r) => r.key === first.json<{ userId: string }>().userId);
    expect(copies).toHaveLength(3);
    expect(new Set(copies.map((c) => c.partition)).size).toBe(1);
  });

  it('gives every signup of one address the same userId: repeats, other cases, another username, no key', async () => {
    const variants = [
      { email: 'same.person@example.org', username: 'same_person' },
      { email: 'same.person@example.org', username: 'same_person' },
      { email: ' same.person@EXAMPLE.ORG', username: 'same_person' },
      { email: 'Same.Person@Example.org', username: 'same_person' },
      { email: 'same.person@example.org', username: 'someone_else' },
    ];
    const responses = [];
    for (const body of variants) responses.push(await signup(body));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(variants.length).fill(201));
    expect(new Set(responses.map((r) => r.json<{ userId: string }>().userId)).size).toBe(1);
    expect(new Set(responses.map((r) => r.json<{ eventId: string }>().eventId)).size).toBe(variants.length);
    const neighbour = await signup({ email: 'same.person+tag@example.org', username: 'same_person' });
    expect(neighbour.json<{ userId: string }>().userId).not.toBe(responses[0]!.json<{ userId: string }>().userId);
  });

  it('answers a known address exactly as a new one, so that nobody can probe which addresses have accounts', async () => {
    const address = `probe-${Date.now()}@example.com`;
    const fresh = await signup({ email: address, username: 'probe' });
    const known = await signup({ email: address, username: 'probe' });
    for (const response of [fresh, known]) {
      expect(response.statusCode).toBe(201);
      expect(Object.keys(response.json<object>()).sort()).toEqual(['eventId', 'status', 'userId']);
    }
    expect(known.json<{ userId: string; status: string }>()).toMatchObject({ userId: fresh.json<{ userId: string }>().userId, status: 'accepted' });
    const headerNames = (r: typeof fresh) => Object.keys(r.headers).filter((h) => !['date', 'x-request-id', 'x-ratelimit-reset'].includes(h)).sort();
    expect(headerNames(known)).toEqual(headerNames(fresh));
    expect(known.headers['content-length']).toBe(fresh.headers['content-length']);
  });

  it("spreads users over the topic's partitions exactly as Kafka's Java client would", async () => {
    const users = await Promise.all(
      Array.from({ length: 24 }, (_, i) => signup({ email: `spread${i}@example.com`, username: `spread${i}` })),
    );
    const ids = users.map((r) => r.json<{ userId: string }>().userId);
    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    const partitionOf = new Map(records.map((r) => [r.key, r.partition]));
    const javaPartitions = await javaDefaultPartitions(ids, api.config.topics.signups.partitions);
    expect(ids.map((id) => partitionOf.get(id))).toEqual(javaPartitions);
    expect(new Set(javaPartitions).size).toBeGreaterThan(1);
  });

  it('published exactly one event per 201 and none for any rejected request', async () => {
    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    await sleep(500);
    const again = await readAtLeast(api.config.kafka, api.config.topics.signups.name, accepted.length);
    expect(records).toHaveLength(accepted.length);
    expect(again).toHaveLength(accepted.length);
    expect(new Set(records.map((r) => r.key))).toEqual(new Set(accepted.map((a) => a.userId)));
  });
});

describe('health and documentation', () => {
  it('is live and ready, naming each check', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ live: true, checks: {} });
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      ready: true,
      checks: { kafka: { ok: true }, registry: { ok: true }, writerSchema: { ok: true } },
    });
  });

  it('serves an OpenAPI document generated from the TypeBox schemas, and its UI at /docs', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> }; responses: Record<string, { description: string }> }>>;
      components: { schemas: Record<string, object> };
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    const body = doc.paths['/signup']!.post!.requestBody!.content['application/json']!.schema;
    expect(body.$ref).toBe('#/components/schemas/SignupRequest');
    expect(doc.components.schemas.SignupRequest).toMatchObject({ required: ['email', 'username'], additionalProperties: false });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['SignupRequest', 'SignupAccepted', 'ErrorResponse', 'ReadinessReport']));
    // Every answer of every route says what it means.
    const responses = Object.values(doc.paths).flatMap((methods) => Object.values(methods).flatMap((operation) => Object.values(operation.responses)));
    expect(responses.length).toBeGreaterThan(8);
    expect(responses.filter((response) => response.description === 'Default Response')).toEqual([]);
    expect(doc.paths['/signup']!.post!.responses['413']!.description).toBe('BODY_TOO_LARGE');
    expect((await api.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('metrics', () => {
  it('exposes request latency by route and status, and produce latency, in Prometheus format', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/signup"[^}]*status_code="201"[^}]*\} [1-9]\d*/);
    expect(response.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/signup"[^}]*status_code="400"[^}]*\} [1-9]\d*/);
    expect(response.body).toMatch(new RegExp(`kafka_produce_duration_seconds_count\\{[^}]*topic="${api.config.topics.signups.name}"[^}]*\\} ${accepted.length}`));
    expect(response.body).toContain('process_resident_memory_bytes');
  });
});

describe('logs', () => {
  it('carry a request id on every request line and no raw email address anywhere', () => {
    const lines = api.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = lines.filter((l) => l.req || l.res || l.msg === 'signup accepted');
    expect(requestLines.length).toBeGreaterThan(20);
    expect(requestLines.every((l) => typeof l.reqId === 'string' && l.reqId.length > 0)).toBe(true);
    const everything = api.logLines.join('\n').toLowerCase();
    for (const email of rawEmailsSent) {
      const address = email.trim().toLowerCase();
      if (address.includes('@')) expect(everything).not.toContain(address);
    }
    expect(lines.some((l) => l.msg === 'signup accepted' && l.email === 'G***@navy.mil')).toBe(true);
  });

  it('write one line per request, on completion, with its outcome: a signup its ids and where its event went', () => {
    const lines = api.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    const accepted = lines.filter((l) => l.msg === 'signup accepted');
    expect(accepted.length).toBeGreaterThan(0);
    for (const line of accepted) {
      expect(line).toMatchObject({ req: { method: 'POST', url: '/signup' }, res: { statusCode: 201 }, userId: expect.any(String), eventId: expect.any(String), partition: expect.any(Number) });
      expect(line.responseTime).toEqual(expect.any(Number));
    }
    // Every other request still gets its line, with its status.
    expect(lines.some((l) => l.msg === 'request completed' && (l.res as { statusCode: number } | undefined)?.statusCode === 400)).toBe(true);
    // One line per request id.
    const perRequest = new Map<unknown, number>();
    for (const l of lines.filter((line) => line.res)) perRequest.set(l.reqId, (perRequest.get(l.reqId) ?? 0) + 1);
    expect([...perRequest.values()].every((n) => n === 1)).toBe(true);
  });
});

/** The partition Kafka's own Java client (Utils.murmur2) picks for each key. */
async function javaDefaultPartitions(keys: string[], partitions: number): Promise<number[]> {
  const classpathFile = fileURLToPath(new URL('../../.stack/kafka/classpath', import.meta.url));
  if (!existsSync(classpathFile)) throw new Error(`${classpathFile} missing: run scripts/stack up to resolve Kafka's jars`);
  const source = fileURLToPath(new URL('../support/java/JavaPartitioner.java', import.meta.url));
  const { stdout } = await promisify(execFile)('java', ['-cp', readFileSync(classpathFile, 'utf8').trim(), source, String(partitions), ...keys], {
    timeout: 60_000,
  });
  return stdout.trim().split('\n').map(Number);
}
