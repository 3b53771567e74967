// onboarding tracker: reads user-registered-for-onboarding read_committed (its catalog
// entry: only enrolments whose transaction committed) and records each user's onboarding
// state.
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { ConsumerService } from '../../kafka/consumer/service.js';
import type { OnboardingStateStore } from './tracker-store.js';

export interface OnboardingTrackerOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly store: OnboardingStateStore;
}

export function onboardingTracker(options: OnboardingTrackerOptions): ConsumerService<UserRegisteredForOnboarding> {
  return {
    name: 'onboarding-tracker',
    groupId: options.groupId,
    topic: options.topic,
    readerSchema: options.readerSchema,
    async handle(enrolment, { logger }) {
      const outcome = await options.store.recordStarted(enrolment);
      logger.info({ userId: enrolment.userId, outcome }, 'onboarding state recorded');
    },
  };
}
