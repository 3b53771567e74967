// The welcome-email ledger: one row per user, so no redelivery or replay ever sends a
// second welcome email. A row is claimed ('sending') before the SMTP call and marked
// 'sent' after it; a crash in between leaves 'sending', and the redelivered record sends
// again with the same Message-ID (mail systems drop a repeated Message-ID).
import { asDependencyErrors, ensureSchema, type Pool } from '../../db/pool.js';

const DDL = `
CREATE TABLE IF NOT EXISTS welcome_emails (
  user_id     uuid PRIMARY KEY,
  event_id    uuid NOT NULL,
  message_id  text NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts    integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);`;

export type Claim = 'send' | 'already-sent';

export class WelcomeEmailLedger {
  constructor(private readonly pool: Pool) {}

  init(): Promise<void> {
    return ensureSchema(this.pool, 'welcome_emails', DDL);
  }

  /** Claims the user's welcome email; 'already-sent' means there is nothing left to do. */
  async claim(userId: string, eventId: string, messageId: string): Promise<Claim> {
    return asDependencyErrors(async () => {
      const { rows } = await this.pool.query<{ status: string }>(
        `INSERT INTO welcome_emails (user_id, event_id, message_id, status) VALUES ($1, $2, $3, 'sending')
         ON CONFLICT (user_id) DO UPDATE SET attempts = welcome_emails.attempts + 1
         RETURNING status`,
        [userId, eventId, messageId],
      );
      return rows[0]!.status === 'sent' ? 'already-sent' : 'send';
    });
  }

  async markSent(userId: string): Promise<void> {
    await asDependencyErrors(() =>
      this.pool.query(`UPDATE welcome_emails SET status = 'sent', sent_at = now() WHERE user_id = $1`, [userId]),
    );
  }
}
