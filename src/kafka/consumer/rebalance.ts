// What happens on an assignment or a revocation. State kept per partition is reset; a
// service that keeps its offsets with its effects starts each newly assigned partition
// where its own store says, and waits for the store rather than start anywhere else.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import type { ConsumerService } from './service.js';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

type Assignment = Array<{ topic: string; partition: number; offset?: number }>;
export type RebalanceCallback = (err: { code: number }, assignment: Assignment) => Promise<Assignment | undefined>;

export interface RebalanceOptions {
  readonly logger: Logger;
  /** True once the consumer is stopping: a wait for the store gives up. */
  readonly stopping: () => boolean;
  /** Back-off between attempts to read the stored positions. */
  readonly retryDelayMs: (attempt: number) => number;
  /** Called on each attempt while the assignment waits for the store: a wait on purpose, not a stall. */
  readonly waiting?: () => void;
}

/**
 * The callback for the client's `rebalance_cb`. On an assignment it always returns the
 * assignment itself: the client would otherwise apply a seek it queued for a partition
 * while it was not assigned (a retry's seek back, queued behind a revoke) when the
 * partition comes back, maybe much later, and rewind it. A seek never outlives the
 * assignment it was made for.
 */
export function rebalanceCallback<T>(service: ConsumerService<T>, options: RebalanceOptions): RebalanceCallback {
  const { logger } = options;
  return async (err, assignment) => {
    if (err.code !== ERR_ASSIGN_PARTITIONS && err.code !== ERR_REVOKE_PARTITIONS) return undefined;
    service.resetPartitionState?.(assignment.map((a) => a.partition));
    if (err.code !== ERR_ASSIGN_PARTITIONS) return undefined;
    if (!service.storedOffsets || assignment.length === 0) return assignment;
    const stored = await storedOffsetsWhenAvailable(service, assignment, options);
    if (!stored) return []; // stopping: take nothing rather than start from anywhere else
    const positioned = assignment.map((a) => {
      const next = stored.get(a.partition);
      return next === undefined ? a : { ...a, offset: Number(next) };
    });
    logger.info({ assignment: positioned.map((a) => `${a.partition}@${a.offset ?? 'committed'}`) }, 'partitions assigned; starting from stored offsets');
    return positioned;
  };
}

/**
 * The store is the only source of positions: if it cannot be read, the assignment waits
 * for it (the client would otherwise fall back to Kafka's committed offsets, which may be
 * ahead of the store after a restore or a failover, and skip records for good).
 */
async function storedOffsetsWhenAvailable<T>(
  service: ConsumerService<T>,
  assignment: Assignment,
  { logger, stopping, retryDelayMs, waiting }: RebalanceOptions,
): Promise<ReadonlyMap<number, string> | undefined> {
  for (let attempt = 1; !stopping(); attempt++) {
    waiting?.();
    try {
      return await service.storedOffsets!(assignment.map((a) => a.partition));
    } catch (error) {
      const delayMs = retryDelayMs(attempt);
      logger.warn({ err: error, attempt, retryInMs: delayMs }, 'cannot read the stored positions; the assignment waits for them');
      await sleep(delayMs);
    }
  }
  return undefined;
}
