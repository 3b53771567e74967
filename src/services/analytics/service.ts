// analytics: signup counts in PostgreSQL. Its positions are kept in the database with the
// counts (not in Kafka), and each newly assigned partition starts from there: replays and
// crashes never count a signup twice.
import type { UserSignedUp } from '../../events/user-signed-up.js';
import type { BatchConsumerService } from '../../kafka/consumer/service.js';
import type { AnalyticsStore } from './store.js';

export interface AnalyticsServiceOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly store: AnalyticsStore;
}

export function analyticsService(options: AnalyticsServiceOptions): BatchConsumerService<UserSignedUp> {
  const { store, groupId, topic } = options;
  return {
    name: 'analytics',
    groupId,
    topic,
    readerSchema: options.readerSchema,
    async handleBatch(records, { partition, nextOffset, logger }) {
      const signups = records.map(({ event }) => ({
        userId: event.userId,
        eventId: event.eventId,
        occurredAt: event.occurredAt,
        emailDomain: event.email.slice(event.email.lastIndexOf('@') + 1).toLowerCase(),
      }));
      const countedBefore = await store.recordBatch(signups, { groupId, topic, partition, nextOffset });
      // A line per record for tracing; not even built when info is off (a child logger per record costs).
      if (!logger.isLevelEnabled('info')) return;
      for (const { event, context } of records) {
        context.logger.info({ userId: event.userId, outcome: countedBefore.has(event.userId) ? 'duplicate' : 'counted' }, 'signup counted');
      }
    },
    storedOffsets: (partitions) => store.positions(groupId, topic, partitions),
  };
}
