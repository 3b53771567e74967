// Property-based fuzzing of POST /signup against the real app, producer and broker:
// thousands of generated requests (wrong types, huge and unicode strings, nested objects,
// prototype-pollution keys, missing and extra fields, malformed JSON, wrong content types,
// oversized bodies). Never a 5xx, never a crash, and an event on the topic for exactly the
// requests answered 201: none for an invalid body.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { readTopic } from '../support/topics.js';

let config: Config;
let api: ApiUnderTest;

beforeAll(async () => {
  config = await isolatedConfig({ API_BODY_LIMIT_BYTES: '4096' });
  api = await startApiUnderTest(config);
});

afterAll(async () => {
  await api?.stop();
});

const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }), // lone surrogates, control characters
  fc.constantFrom('', ' ', '\u0000', 'a@b', '@example.com', 'ada@', 'ada@@example.com', 'ådä@exämple.com', 'ada@example.com\n', '<script>@x.y', '../../etc/passwd', '${jndi:ldap://x}', 'a'.repeat(300)),
  fc.string({ minLength: 3000, maxLength: 6000 }), // past the body limit
);
const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString');
const validEmail = fc.emailAddress().filter((e) => e.length <= 254);
const validUsername = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$/);

/** A raw request: the body text as sent, and its content type. */
const request = fc.oneof(
  // Well-formed JSON objects, mostly shaped like a signup, often broken in one field.
  fc
    .record(
      {
        email: fc.oneof(validEmail, nastyString, fc.anything()),
        username: fc.oneof(validUsername, nastyString, fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((body) => ({ body: JSON.stringify(body), contentType: 'application/json' })),
  // Prototype-pollution attempts, written as raw JSON so that the key really is "__proto__".
  fc
    .tuple(pollutionKey, validEmail, validUsername, fc.jsonValue())
    .map(([key, email, username, value]) => ({ body: `{"email":${JSON.stringify(email)},"username":${JSON.stringify(username)},"${key}":${JSON.stringify(value) ?? 'null'}}`, contentType: 'application/json' })),
  fc.tuple(pollutionKey, fc.jsonValue()).map(([key, value]) => ({ body: `{"${key}":{"polluted":${JSON.stringify(value) ?? 'null'}}}`, contentType: 'application/json' })),
  // Any JSON value at all, and any text at all (malformed JSON).
  fc.jsonValue({ maxDepth: 6 }).map((value) => ({ body: JSON.stringify(value) ?? 'null', contentType: 'application/json' })),
  fc.string({ maxLength: 200 }).map((text) => ({ body: text, contentType: 'application/json' })),
  // Valid bodies under the wrong content type.
  fc
    .tuple(validEmail, validUsername, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', 'application/json; charset=latin1', ''))
    .map(([email, username, contentType]) => ({ body: JSON.stringify({ email, username }), contentType })),
  // Valid signups, so that the 201 path is exercised among the rest.
  fc.tuple(validEmail, validUsername).map(([email, username]) => ({ body: JSON.stringify({ email, username }), contentType: 'application/json' })),
);

describe('POST /signup under generated input', () => {
  it('never answers 5xx, never crashes, and publishes an event for each 201 and for nothing else', async () => {
    const statuses = new Map<number, number>();
    const accepted = new Set<string>();
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType }) => {
        const response = await api.app.inject({ method: 'POST', url: '/signup', headers: contentType ? { 'content-type': contentType } : {}, payload: body });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode).toBeLessThan(500);
        expect([201, 400, 413, 415]).toContain(response.statusCode);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        if (response.statusCode === 201) accepted.add(response.json<{ userId: string }>().userId);
        // Nothing leaked onto Object.prototype.
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 3000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    console.log(`fuzz: ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')}`);
    expect(accepted.size).toBeGreaterThan(50); // the valid path was exercised
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
    // Every event on the topic belongs to a 201, and every 201 has its event.
    const records = await readTopic(config.kafka, config.topics.signups.name, { readCommitted: false });
    expect(records.length).toBe(accepted.size);
    expect(new Set(records.map((r) => r.key))).toEqual(accepted);
  });
});
