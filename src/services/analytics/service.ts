// analytics: signup counts in PostgreSQL. Its positions are kept in the database with the
// counts (not in Kafka), and each newly assigned partition starts from there: replays and
// crashes never count a signup twice.
import type { UserSignedUp } from '../../events/user-signed-up.js';
import type { ConsumerService } from '../../kafka/consumer/runtime.js';
import type { AnalyticsStore } from './store.js';

export interface AnalyticsServiceOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly store: AnalyticsStore;
}

export function analyticsService(options: AnalyticsServiceOptions): ConsumerService<UserSignedUp> {
  const { store, groupId, topic } = options;
  return {
    name: 'analytics',
    groupId,
    topic,
    readerSchema: options.readerSchema,
    async handle(event, { partition, offset, logger }) {
      const outcome = await store.record(
        {
          userId: event.userId,
          eventId: event.eventId,
          occurredAt: event.occurredAt,
          emailDomain: event.email.slice(event.email.lastIndexOf('@') + 1).toLowerCase(),
        },
        { groupId, topic, partition, nextOffset: String(BigInt(offset) + 1n) },
      );
      logger.info({ userId: event.userId, outcome }, 'signup counted');
    },
    storedOffsets: (partitions) => store.positions(groupId, topic, partitions),
  };
}
