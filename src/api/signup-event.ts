// Turns a validated signup request into its UserSignedUp event. Pure: no I/O, no clock or
// randomness except through the arguments, so it is unit-tested without a broker.
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { UserSignedUp } from '../events/user-signed-up.js';
import { randomBytesPooled } from '../observability/random-bytes.js';
import type { SignupRequest } from './schemas/signup.js';

/** Namespace for ids derived from an Idempotency-Key (a fixed, project-specific UUID). */
const IDEMPOTENT_IDS_NAMESPACE = '0b5a1c3e-7f7d-4b8e-9c55-5f0f3c2f6a11';

export interface SignupContext {
  readonly idempotencyKey?: string | undefined;
  readonly acceptLanguage?: string | undefined;
  readonly now: Date;
}

// Time-ordered ids (the millisecond first): index-friendly in the services' databases.
const newId = () => uuidv7({ random: randomBytesPooled(16) });

export function createSignupEvent(request: SignupRequest, context: SignupContext): UserSignedUp {
  const email = normalizeEmail(request.email);
  const { userId, eventId } = context.idempotencyKey
    ? idsFromIdempotencyKey(context.idempotencyKey, email, request.username)
    : { userId: newId(), eventId: newId() };
  return {
    eventId,
    userId,
    email,
    username: request.username,
    occurredAt: context.now,
    locale: preferredLocale(context.acceptLanguage),
  };
}

/**
 * The same key with the same signup yields the same ids, on any API instance, with no shared
 * store: a retried request publishes an event with the same eventId, which consumers
 * deduplicate. The signup's data is part of the name, so two different signups that happen
 * to reuse a key never share a userId.
 */
export function idsFromIdempotencyKey(
  key: string,
  email: string,
  username: string,
): { userId: string; eventId: string } {
  const name = JSON.stringify([key, email, username]);
  return {
    userId: uuidv5(`user:${name}`, IDEMPOTENT_IDS_NAMESPACE),
    eventId: uuidv5(`event:${name}`, IDEMPOTENT_IDS_NAMESPACE),
  };
}

/** Trims the address and lower-cases its domain; the local part is case-sensitive by RFC 5321. */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at) + trimmed.slice(at).toLowerCase();
}

const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** The first acceptable language tag of an Accept-Language header, or null. */
export function preferredLocale(header: string | undefined): string | null {
  if (!header) return null;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter(({ tag, q }) => q > 0 && LANGUAGE_TAG.test(tag) && tag.length <= 35)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.tag ?? null;
}
