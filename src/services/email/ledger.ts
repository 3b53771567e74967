// The welcome-email ledger: one row per user, so no redelivery, replay or second instance
// ever sends a second welcome email. A user's row is locked from before the SMTP call
// until the 'sent' mark commits, so two instances never send for one user at once: the
// second waits for the first's outcome (or for its lock to time out, and retries later).
// Several users are claimed, sent to and marked in one transaction (a few statements
// whatever their number); their rows are locked in user id order, so two instances that
// claim overlapping users wait for each other instead of deadlocking.
//
// Windows that remain, because SMTP has no transactions: the process dies, or its database
// session ends (PostgreSQL stopped, the session frozen past idle_in_transaction_session_timeout),
// after the server accepted a message and before the mark commits. The next attempt then
// sends again, with the same Message-ID (derived from the user id), which mail systems drop.
// The caller bounds how many users one transaction holds (one round of sends), so that a
// slow but working mail server does not keep a transaction open until that timeout.
import { fileURLToPath } from 'node:url';
import { migrate, type Migrations } from '../../db/migrations.js';
import { asDependencyErrors, inTransaction, type Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';

export const emailMigrations: Migrations = {
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
  schema: 'public',
  table: 'email_migrations',
};

export interface LedgerTimeouts {
  /** How long to wait for another instance's lock on a user before retrying later. */
  readonly lockWaitMs: number;
  /**
   * How long a session may sit inside the sends (frozen, stopped) before PostgreSQL ends
   * it and frees its users for another instance: longer than any round of SMTP calls.
   */
  readonly holdMs: number;
}

/** One user's welcome email, as the ledger records it. */
export interface WelcomeEmailEntry {
  readonly userId: string;
  readonly eventId: string;
  readonly messageId: string;
}

/** What became of one user's email: sent now, sent before, or the error `send` threw. */
export type SendOutcome = { readonly kind: 'sent' } | { readonly kind: 'already-sent' } | { readonly kind: 'failed'; readonly error: unknown };

export class WelcomeEmailLedger {
  /** Accepted by the mail server, not yet marked: on the next attempt only the mark is retried. */
  private readonly unrecorded = new Map<string, WelcomeEmailEntry>();

  constructor(
    private readonly pool: Pool,
    private readonly timeouts: LedgerTimeouts = { lockWaitMs: 5000, holdMs: 60_000 },
  ) {}

  /** Brings the ledger's table up to date (src/services/email/migrations/). */
  async init(logger?: Logger): Promise<void> {
    await migrate(this.pool, emailMigrations, logger);
  }

  /**
   * Calls `send` unless the user's welcome email was sent already, holding the user's row
   * locked across it. `send` must throw on failure; the mark is written only after it.
   */
  async sendOnce(userId: string, eventId: string, messageId: string, send: () => Promise<void>): Promise<'sent' | 'already-sent'> {
    const [outcome] = await this.sendEach([{ userId, eventId, messageId }], send);
    if (outcome!.kind === 'failed') throw outcome!.error;
    return outcome!.kind;
  }

  /**
   * sendOnce for several distinct users in one transaction: their rows are locked, `send`
   * is called for each user not sent to before (all at once: the caller bounds how many),
   * and the users it succeeded for are marked sent. The outcomes are in the order of
   * `entries`; one user's failed send leaves the others sent. Throws only when the ledger
   * itself fails (DependencyUnavailableError while PostgreSQL cannot serve it): then the
   * messages the server accepted are remembered, and only their marks are retried.
   */
  async sendEach(entries: readonly WelcomeEmailEntry[], send: (entry: WelcomeEmailEntry) => Promise<void>): Promise<SendOutcome[]> {
    const outcomes = new Array<SendOutcome | undefined>(entries.length);
    const accepted = this.unrecorded.size === 0 ? [] : entries.filter((entry) => this.unrecorded.has(entry.userId));
    if (accepted.length > 0) {
      await this.recordSent(accepted.map((entry) => this.unrecorded.get(entry.userId)!));
      for (const entry of accepted) this.unrecorded.delete(entry.userId);
      const marked = new Set(accepted);
      entries.forEach((entry, i) => {
        if (marked.has(entry)) outcomes[i] = { kind: 'sent' };
      });
    }
    const claims = entries.map((entry, i) => ({ entry, i })).filter(({ i }) => outcomes[i] === undefined);
    if (claims.length === 0) return outcomes as SendOutcome[];
    const sent: WelcomeEmailEntry[] = [];
    try {
      const timeouts = { lock_timeout: `${this.timeouts.lockWaitMs}ms`, idle_in_transaction_session_timeout: `${this.timeouts.holdMs}ms` };
      await inTransaction(this.pool, async (client) => {
        // Creates or locks the users' rows in one statement; waits here while another
        // instance holds one of them (sending to that user), then sees its outcome.
        const { rows } = await client.query<{ ord: string; status: string }>(
          `WITH batch AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS b(user_id, event_id, message_id, ord)),
           claimed AS (
             INSERT INTO welcome_emails (user_id, event_id, message_id, status)
             SELECT user_id, event_id, message_id, 'sending' FROM batch ORDER BY user_id
             ON CONFLICT (user_id) DO UPDATE SET attempts = welcome_emails.attempts + 1
             RETURNING user_id, status)
           SELECT batch.ord, claimed.status FROM claimed JOIN batch USING (user_id)`,
          [claims.map((c) => c.entry.userId), claims.map((c) => c.entry.eventId), claims.map((c) => c.entry.messageId)],
        );
        const toSend: typeof claims = [];
        for (const row of rows) {
          const claim = claims[Number(row.ord) - 1]!;
          if (row.status === 'sent') outcomes[claim.i] = { kind: 'already-sent' };
          else toSend.push(claim);
        }
        await Promise.all(
          toSend.map(async ({ entry, i }) => {
            try {
              await send(entry);
              sent.push(entry);
              outcomes[i] = { kind: 'sent' };
            } catch (error) {
              outcomes[i] = { kind: 'failed', error };
            }
          }),
        );
        if (sent.length === 0) return;
        // The row names the event whose email went out (an earlier attempt may have been another's).
        await client.query(
          `UPDATE welcome_emails SET status = 'sent', sent_at = now(), event_id = b.event_id, message_id = b.message_id
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS b(user_id, event_id, message_id)
           WHERE welcome_emails.user_id = b.user_id`,
          [sent.map((e) => e.userId), sent.map((e) => e.eventId), sent.map((e) => e.messageId)],
        );
      }, timeouts);
    } catch (error) {
      for (const entry of sent) this.unrecorded.set(entry.userId, entry);
      throw error;
    }
    return outcomes as SendOutcome[];
  }

  /** The marks alone, for messages the server accepted while the transaction around them failed (their rows may be gone with it). */
  private async recordSent(entries: readonly WelcomeEmailEntry[]): Promise<void> {
    await asDependencyErrors(() =>
      this.pool.query(
        `INSERT INTO welcome_emails (user_id, event_id, message_id, status, sent_at)
         SELECT user_id, event_id, message_id, 'sent', now() FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS b(user_id, event_id, message_id) ORDER BY user_id
         ON CONFLICT (user_id) DO UPDATE SET status = 'sent', sent_at = coalesce(welcome_emails.sent_at, now())`,
        [entries.map((e) => e.userId), entries.map((e) => e.eventId), entries.map((e) => e.messageId)],
      ),
    );
  }
}
