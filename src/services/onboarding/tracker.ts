// onboarding tracker: reads user-registered-for-onboarding read_committed (its catalog
// entry: only enrolments whose transaction committed) and records each user's onboarding
// state, a polled batch of one partition in one statement.
//
// Its positions stay in Kafka (committed after the batch is written), not in PostgreSQL
// with the rows as analytics keeps them: the write is idempotent (the first enrolment per
// user wins, a repeat inserts nothing), so at-least-once redelivery after a crash changes
// nothing, and the group's committed offsets remain the one truth that the replay tool,
// the lag gauges and the stall check read for this group.
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { BatchConsumerService } from '../../kafka/consumer/service.js';
import type { OnboardingStateStore } from './tracker-store.js';

export interface OnboardingTrackerOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly store: OnboardingStateStore;
}

export function onboardingTracker(options: OnboardingTrackerOptions): BatchConsumerService<UserRegisteredForOnboarding> {
  const { store } = options;
  return {
    name: 'onboarding-tracker',
    groupId: options.groupId,
    topic: options.topic,
    readerSchema: options.readerSchema,
    async handleBatch(records, { logger }) {
      const recorded = await store.recordStarted(records.map(({ event }) => event));
      // A line per record for tracing; not even built when info is off (a child logger per record costs).
      if (!logger.isLevelEnabled('info')) return;
      for (const { event, context } of records) {
        // delete: a record repeated within the batch is recorded once, the repeat is a duplicate.
        const outcome = recorded.delete(event.eventId) ? 'recorded' : 'duplicate';
        context.logger.info({ userId: event.userId, outcome }, 'onboarding state recorded');
      }
    },
  };
}
