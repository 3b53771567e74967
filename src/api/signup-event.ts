// Turns a validated signup request into its UserSignedUp event. No I/O and no clock except
// through the arguments, so it is unit-tested without a broker.
import { parse as parseUuid, v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { UserSignedUp } from '../events/user-signed-up.js';
import { randomBytesPooled } from '../observability/random-bytes.js';
import { normalizeEmail } from './identity.js';
import type { SignupRequest } from './schemas/signup.js';

/** Namespace for event ids derived from an Idempotency-Key (a fixed, project-specific UUID), as bytes: given the string, the library parses it again for every id. */
const IDEMPOTENT_IDS_NAMESPACE = parseUuid('0b5a1c3e-7f7d-4b8e-9c55-5f0f3c2f6a11');

export interface SignupContext {
  /** The account's id: derived from the address (identity.ts), never from the request. */
  readonly userId: string;
  readonly idempotencyKey?: string | undefined;
  readonly acceptLanguage?: string | undefined;
  readonly now: Date;
}

// Time-ordered ids (the millisecond first): index-friendly in the services' databases.
const newId = () => uuidv7({ random: randomBytesPooled(16) });

export function createSignupEvent(request: SignupRequest, context: SignupContext): UserSignedUp {
  const email = normalizeEmail(request.email);
  const { userId } = context;
  return {
    eventId: context.idempotencyKey ? eventIdFromIdempotencyKey(context.idempotencyKey, userId, request.username) : newId(),
    userId,
    email,
    username: request.username,
    occurredAt: context.now,
    locale: preferredLocale(context.acceptLanguage),
  };
}

/**
 * A retried request with the same key and signup gets the same eventId, on any API
 * instance, so the two events are recognisably one request in logs and topics. Effects do
 * not depend on it: consumers act once per userId, whatever the eventIds.
 */
export function eventIdFromIdempotencyKey(key: string, userId: string, username: string): string {
  return uuidv5(`event:${JSON.stringify([key, userId, username])}`, IDEMPOTENT_IDS_NAMESPACE);
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
