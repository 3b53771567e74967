// Onboarding state per user, as the tracker records it. Idempotent: the first enrolment
// seen for a user wins, a repeated one (redelivered, replayed, or a second enrolment of the
// user) changes nothing.
import { fileURLToPath } from 'node:url';
import { migrate, type Migrations } from '../../db/migrations.js';
import { asDependencyErrors, type Pool } from '../../db/pool.js';
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { Logger } from '../../logger.js';

export const onboardingTrackerMigrations: Migrations = {
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
  schema: 'public',
  table: 'onboarding_tracker_migrations',
};

export interface OnboardingState {
  readonly userId: string;
  readonly enrolmentId: string;
  readonly plan: string;
  readonly steps: string[];
  readonly state: string;
}

export class OnboardingStateStore {
  constructor(private readonly pool: Pool) {}

  /** Brings the tracker's table up to date (src/services/onboarding/migrations/). */
  async init(logger?: Logger): Promise<void> {
    await migrate(this.pool, onboardingTrackerMigrations, logger);
  }

  /**
   * Records the enrolments of one polled batch in one statement, whatever the batch size.
   * The first enrolment of a user wins: over rows already stored (ON CONFLICT DO NOTHING)
   * and within the batch (the earliest of the user's enrolments in `enrolments`, which is
   * in offset order). Returns the ids of the enrolments recorded now; any other was a
   * duplicate. A statement is atomic, so a failure records none of the batch.
   */
  async recordStarted(enrolments: readonly UserRegisteredForOnboarding[]): Promise<Set<string>> {
    if (enrolments.length === 0) return new Set();
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ enrolment_id: string }>(
        // DISTINCT ON keeps the lowest ordinal per user: which duplicate wins does not depend
        // on the order in which PostgreSQL happens to feed the rows to the INSERT. Sorting
        // by user id also makes concurrent batches take their row locks in one order.
        `INSERT INTO onboarding_state (user_id, enrolment_id, source_event_id, plan, steps, state, registered_at)
         SELECT DISTINCT ON (user_id) user_id, enrolment_id, source_event_id, plan, steps::jsonb, 'started', registered_at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
                WITH ORDINALITY AS b(user_id, enrolment_id, source_event_id, plan, steps, registered_at, n)
          ORDER BY user_id, n
         ON CONFLICT (user_id) DO NOTHING
         RETURNING enrolment_id`,
        [
          enrolments.map((e) => e.userId),
          enrolments.map((e) => e.eventId),
          enrolments.map((e) => e.sourceEventId),
          enrolments.map((e) => e.plan),
          enrolments.map((e) => JSON.stringify(e.steps)),
          enrolments.map((e) => e.registeredAt),
        ],
      ),
    );
    return new Set(rows.map((r) => r.enrolment_id));
  }

  async forUsers(userIds: readonly string[]): Promise<OnboardingState[]> {
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ user_id: string; enrolment_id: string; plan: string; steps: string[]; state: string }>(
        `SELECT user_id, enrolment_id, plan, steps, state FROM onboarding_state WHERE user_id = ANY($1)`,
        [userIds],
      ),
    );
    return rows.map((r) => ({ userId: r.user_id, enrolmentId: r.enrolment_id, plan: r.plan, steps: r.steps, state: r.state }));
  }
}
