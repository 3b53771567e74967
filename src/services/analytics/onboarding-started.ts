// analytics' view of onboarding: reads the enrolment topic (read_committed: only
// enrolments whose transaction committed) and keeps, in its own schema, the users onboarding
// has started, for the dashboard's funnel. Positions are saved with the rows, as for the
// counts, so a rebuild (store.clear) starts both topics over together.
import type { Config } from '../../config.js';
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { BatchConsumerService } from '../../kafka/consumer/service.js';
import type { AnalyticsStore } from './store.js';

/** The enrolment topic, the second one analytics' group reads: a rebuild starts it over too. */
export function enrolmentTopic(topics: Config['topics']): string {
  return topics.onboarding.name;
}

export interface OnboardingStartedOptions {
  /** The analytics group: one group, one dead-letter topic, one replay for the whole service. */
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly store: AnalyticsStore;
}

export function onboardingStartedProjection(options: OnboardingStartedOptions): BatchConsumerService<UserRegisteredForOnboarding> {
  const { store, groupId, topic } = options;
  return {
    name: 'analytics-onboarding',
    groupId,
    topic,
    readerSchema: options.readerSchema,
    readCommitted: true,
    async handleBatch(records, { partition, nextOffset }) {
      await store.recordOnboardingStarted(
        records.map(({ event }) => event.userId),
        { groupId, topic, partition, nextOffset },
      );
    },
    storedOffsets: (partitions) => store.positions(groupId, topic, partitions),
  };
}
