import { describe, expect, it } from 'vitest';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { createSignupEvent, idsFromIdempotencyKey, normalizeEmail, preferredLocale } from '../../src/api/signup-event.js';

const now = new Date('2026-11-24T12:00:00.000Z');

describe('createSignupEvent', () => {
  it('builds the event from the request with fresh time-ordered ids', () => {
    const event = createSignupEvent({ email: 'Ada@Example.COM', username: 'ada' }, { now });
    expect(event).toMatchObject({ email: 'Ada@example.com', username: 'ada', occurredAt: now, locale: null });
    expect(isUuid(event.userId) && uuidVersion(event.userId)).toBe(7);
    expect(isUuid(event.eventId) && uuidVersion(event.eventId)).toBe(7);
    expect(event.userId).not.toBe(event.eventId);
  });

  it('gives new ids to each request without an Idempotency-Key', () => {
    const a = createSignupEvent({ email: 'a@b.co', username: 'ada' }, { now });
    const b = createSignupEvent({ email: 'a@b.co', username: 'ada' }, { now });
    expect(a.userId).not.toBe(b.userId);
    expect(a.eventId).not.toBe(b.eventId);
  });

  it('derives the same ids from the same Idempotency-Key and signup', () => {
    const context = { now, idempotencyKey: 'retry-me-1' };
    const first = createSignupEvent({ email: 'a@b.co', username: 'ada' }, context);
    const retry = createSignupEvent({ email: 'a@B.CO', username: 'ada' }, { ...context, now: new Date() });
    expect(retry.userId).toBe(first.userId);
    expect(retry.eventId).toBe(first.eventId);
    expect(uuidVersion(first.userId)).toBe(5);
  });

  it('never lets two different signups share ids through a reused key', () => {
    const a = idsFromIdempotencyKey('k', 'a@b.co', 'ada');
    const b = idsFromIdempotencyKey('k', 'a@b.co', 'bob');
    const c = idsFromIdempotencyKey('k2', 'a@b.co', 'ada');
    expect(new Set([a.userId, b.userId, c.userId]).size).toBe(3);
    expect(a.userId).not.toBe(a.eventId);
  });

  it('takes the locale from Accept-Language', () => {
    expect(createSignupEvent({ email: 'a@b.co', username: 'ada' }, { now, acceptLanguage: 'fr-CH, fr;q=0.9' }).locale).toBe('fr-CH');
  });
});

describe('normalizeEmail', () => {
  it('trims and lower-cases the domain only', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('Ada.Lovelace@example.com');
    expect(normalizeEmail('"odd@local"@EXAMPLE.org')).toBe('"odd@local"@example.org');
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
