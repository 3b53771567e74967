// Onboarding state per user, as the tracker records it. Idempotent: the first enrolment
// seen for a user wins, a repeated one changes nothing.
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

  async recordStarted(enrolment: UserRegisteredForOnboarding): Promise<'recorded' | 'duplicate'> {
    return asDependencyErrors(async () => {
      const result = await this.pool.query(
        `INSERT INTO onboarding_state (user_id, enrolment_id, source_event_id, plan, steps, state, registered_at)
         VALUES ($1, $2, $3, $4, $5, 'started', $6) ON CONFLICT (user_id) DO NOTHING`,
        [enrolment.userId, enrolment.eventId, enrolment.sourceEventId, enrolment.plan, JSON.stringify(enrolment.steps), enrolment.registeredAt],
      );
      return result.rowCount === 1 ? 'recorded' : 'duplicate';
    });
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
