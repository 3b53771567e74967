// Who a signup is for. An email address identifies one account: every signup for the same
// address, on any API instance, with or without an Idempotency-Key, gets the same userId,
// computed from the address alone so that the request path needs no shared store.
import { createHmac } from 'node:crypto';

/**
 * The address mail is delivered to: trimmed, domain lower-cased (domains are
 * case-insensitive, RFC 5321 §2.4). The local part keeps its case here, because a server
 * may in theory distinguish it.
 */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at) + trimmed.slice(at).toLowerCase();
}

/**
 * What identifies an account: the normalized address, local part lower-cased too. Mail
 * providers treat `Ada@` and `ada@` as one mailbox, and two accounts for one person are a
 * worse failure than merging the (theoretical) case-sensitive mailboxes. Dots and
 * `+tags` are kept: their meaning is one provider's convention, not the address's.
 */
export function accountKey(email: string): string {
  return normalizeEmail(email).toLowerCase();
}

/** Fewest characters a USER_ID_SECRET may have: 32 characters of random text carry ≥ 128 bits. */
export const MIN_USER_ID_SECRET_LENGTH = 32;

/**
 * Derives a user's id from the account key with HMAC-SHA-256 under a secret: the same
 * address always yields the same id, while outsiders can neither compute an address's id
 * nor learn the address from it. The first 128 bits are laid out as an RFC 9562 UUIDv8
 * (version and variant bits set), so the id fits every uuid column and Avro uuid field.
 *
 * The secret must never change: under another secret every address gets a new id, and
 * each known user would be welcomed, counted and enrolled again.
 */
export class UserIds {
  constructor(private readonly secret: string) {
    if (secret.length < MIN_USER_ID_SECRET_LENGTH) {
      throw new RangeError(`the user id secret must have at least ${MIN_USER_ID_SECRET_LENGTH} characters`);
    }
  }

  forEmail(email: string): string {
    const digest = createHmac('sha256', this.secret).update(accountKey(email)).digest();
    digest[6] = (digest[6]! & 0x0f) | 0x80; // version 8: custom
    digest[8] = (digest[8]! & 0x3f) | 0x80; // variant 10 (RFC 9562)
    const hex = digest.toString('hex', 0, 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
}
