// The welcome-email ledger: one row per user, so no redelivery, replay or second instance
// ever sends a second welcome email. The user's row is locked from before the SMTP call
// until the 'sent' mark commits, so two instances never send for one user at once: the
// second waits for the first's outcome (or for its lock to time out, and retries later).
//
// Windows that remain, because SMTP has no transactions: the process dies, or its database
// session ends (PostgreSQL stopped, the session frozen past idle_in_transaction_session_timeout),
// after the server accepted the message and before the mark commits. The next attempt then
// sends again, with the same Message-ID (derived from the user id), which mail systems drop.
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
   * How long a session may sit inside the send (frozen, stopped) before PostgreSQL ends
   * it and frees the user for another instance: longer than any SMTP call.
   */
  readonly holdMs: number;
}

export class WelcomeEmailLedger {
  /** Accepted by the mail server, not yet marked: on the next attempt only the mark is retried. */
  private readonly unrecorded = new Map<string, { eventId: string; messageId: string }>();

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
    const accepted = this.unrecorded.get(userId);
    if (accepted) {
      await this.recordSent(userId, accepted.eventId, accepted.messageId);
      this.unrecorded.delete(userId);
      return 'sent';
    }
    let sent = false;
    try {
      return await inTransaction(this.pool, async (client) => {
        await client.query(`SELECT set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true)`, [
          `${this.timeouts.lockWaitMs}ms`,
          `${this.timeouts.holdMs}ms`,
        ]);
        // Creates or locks the user's row in one statement; waits here while another
        // instance holds it (sending to this user), then sees that instance's outcome.
        const { rows } = await client.query<{ status: string }>(
          `INSERT INTO welcome_emails (user_id, event_id, message_id, status) VALUES ($1, $2, $3, 'sending')
           ON CONFLICT (user_id) DO UPDATE SET attempts = welcome_emails.attempts + 1
           RETURNING status`,
          [userId, eventId, messageId],
        );
        if (rows[0]!.status === 'sent') return 'already-sent';
        await send();
        sent = true;
        await client.query(`UPDATE welcome_emails SET status = 'sent', sent_at = now() WHERE user_id = $1`, [userId]);
        return 'sent';
      });
    } catch (error) {
      if (sent) this.unrecorded.set(userId, { eventId, messageId });
      throw error;
    }
  }

  /** The mark alone, for a message the server accepted while the transaction around it failed (its row may be gone with it). */
  private async recordSent(userId: string, eventId: string, messageId: string): Promise<void> {
    await asDependencyErrors(() =>
      this.pool.query(
        `INSERT INTO welcome_emails (user_id, event_id, message_id, status, sent_at) VALUES ($1, $2, $3, 'sent', now())
         ON CONFLICT (user_id) DO UPDATE SET status = 'sent', sent_at = coalesce(welcome_emails.sent_at, now())`,
        [userId, eventId, messageId],
      ),
    );
  }
}
