// When each signup's effects happened, as the services' own tables record them: the analytics
// row, the tracker's row and the welcome email's ledger mark.
import type { Pool } from '../../src/db/pool.js';
import { sleep } from '../../test/support/sleep.js';

export interface EffectTimes {
  /** Every user has all three. */
  readonly complete: boolean;
  readonly countedAt: ReadonlyMap<string, number>;
  readonly trackedAt: ReadonlyMap<string, number>;
  readonly emailedAt: ReadonlyMap<string, number>;
}

/** Waits until every user has all three effects, or the time is up; returns what is there and whether it is all. */
export async function waitForEffects(pool: Pool, analyticsSchema: string, users: readonly string[], timeoutMs: number): Promise<EffectTimes> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The services create their tables when they start: until then, "not yet".
    const at = (sql: string) =>
      pool.query<{ user_id: string; at: Date }>(sql, [users]).then(
        ({ rows }) => new Map(rows.map((r) => [r.user_id, r.at.getTime()])),
        () => new Map<string, number>(),
      );
    const [countedAt, trackedAt, emailedAt] = await Promise.all([
      at(`SELECT user_id, counted_at AS at FROM ${analyticsSchema}.counted_users WHERE user_id = ANY($1)`),
      at('SELECT user_id, recorded_at AS at FROM onboarding_state WHERE user_id = ANY($1)'),
      at(`SELECT user_id, sent_at AS at FROM welcome_emails WHERE user_id = ANY($1) AND status = 'sent'`),
    ]);
    const complete = [countedAt, trackedAt, emailedAt].every((m) => m.size === users.length);
    if (complete || Date.now() > deadline) return { complete, countedAt, trackedAt, emailedAt };
    await sleep(250);
  }
}
