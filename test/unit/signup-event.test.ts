import { describe, expect, it } from 'vitest';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { accountKey, normalizeEmail, UserIds } from '../../src/api/identity.js';
import { createSignupEvent, eventIdFromIdempotencyKey, preferredLocale } from '../../src/api/signup-event.js';

const now = new Date('2026-11-24T12:00:00.000Z');
const SECRET = 'unit-test-user-id-secret-0123456789abcdef';
const userIds = new UserIds(SECRET);
const userId = userIds.forEmail('ada@example.com');

describe('createSignupEvent', () => {
  it('builds the event from the request, the given userId and a fresh time-ordered eventId', () => {
    const event = createSignupEvent({ email: 'Ada@Example.COM', username: 'ada' }, { userId, now });
    expect(event).toMatchObject({ userId, email: 'Ada@example.com', username: 'ada', occurredAt: now, locale: null });
    expect(isUuid(event.eventId) && uuidVersion(event.eventId)).toBe(7);
  });

  it('gives each request without an Idempotency-Key its own eventId', () => {
    const a = createSignupEvent({ email: 'a@b.co', username: 'ada' }, { userId, now });
    const b = createSignupEvent({ email: 'a@b.co', username: 'ada' }, { userId, now });
    expect(a.eventId).not.toBe(b.eventId);
  });

  it('derives the same eventId from the same Idempotency-Key and signup', () => {
    const context = { userId, now, idempotencyKey: 'retry-me-1' };
    const first = createSignupEvent({ email: 'a@b.co', username: 'ada' }, context);
    const retry = createSignupEvent({ email: 'a@B.CO', username: 'ada' }, { ...context, now: new Date() });
    expect(retry.eventId).toBe(first.eventId);
    expect(uuidVersion(first.eventId)).toBe(5);
  });

  it('never lets two different signups share an eventId through a reused key', () => {
    const ids = [eventIdFromIdempotencyKey('k', userId, 'ada'), eventIdFromIdempotencyKey('k', userId, 'bob'), eventIdFromIdempotencyKey('k2', userId, 'ada')];
    expect(new Set([...ids, eventIdFromIdempotencyKey('k', userIds.forEmail('bob@example.com'), 'ada')]).size).toBe(4);
  });

  it('takes the locale from Accept-Language', () => {
    expect(createSignupEvent({ email: 'a@b.co', username: 'ada' }, { userId, now, acceptLanguage: 'fr-CH, fr;q=0.9' }).locale).toBe('fr-CH');
  });
});

describe('normalizeEmail and accountKey', () => {
  it('trims and lower-cases the domain of the address mail goes to', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('Ada.Lovelace@example.com');
    expect(normalizeEmail('"odd@local"@EXAMPLE.org')).toBe('"odd@local"@example.org');
  });

  it('identifies an account by the whole address compared case-insensitively, dots and tags kept', () => {
    expect(accountKey(' Ada.Lovelace@Example.COM')).toBe('ada.lovelace@example.com');
    expect(accountKey('ada+news@example.com')).not.toBe(accountKey('ada@example.com'));
    expect(accountKey('a.da@example.com')).not.toBe(accountKey('ada@example.com'));
  });
});

describe('UserIds', () => {
  it('gives every spelling of one address the same id, an RFC 9562 UUIDv8', () => {
    const ids = ['ada@example.com', 'Ada@Example.COM', '  ada@EXAMPLE.com\t', 'ADA@example.com'].map((e) => userIds.forEmail(e));
    expect(new Set(ids).size).toBe(1);
    expect(isUuid(ids[0]!) && uuidVersion(ids[0]!)).toBe(8);
    expect(ids[0]![19]).toMatch(/[89ab]/); // the RFC variant
  });

  it('gives different addresses different ids', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => userIds.forEmail(`user${i}@example.com`));
    expect(new Set(ids).size).toBe(1000);
  });

  it("depends on the secret: nobody without it can compute an address's id", () => {
    expect(new UserIds(`${SECRET}-other`).forEmail('ada@example.com')).not.toBe(userId);
    expect(new UserIds(SECRET).forEmail('ada@example.com')).toBe(userId);
  });

  it('refuses a secret too short to be a key', () => {
    expect(() => new UserIds('short')).toThrow(/at least 32 characters/);
  });
});

describe('preferredLocale', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['*', null],
    ['de', 'de'],
    ['en-US,en;q=0.5', 'en-US'],
    ['en;q=0.2, pt-BR;q=0.8', 'pt-BR'],
    ['xx;q=0, es', 'es'],
    ['<script>', null],
  ])('%j → %j', (header, expected) => {
    expect(preferredLocale(header)).toBe(expected);
  });
});
