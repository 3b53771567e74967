// What happens on an assignment or a revocation, for services that need to know: state
// kept per partition is reset, and a service that keeps its offsets with its effects
// starts each newly assigned partition where its own store says.
import type { Logger } from '../../logger.js';
import type { ConsumerService } from './service.js';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

type Assignment = Array<{ topic: string; partition: number; offset?: number }>;
export type RebalanceCallback = (err: { code: number }, assignment: Assignment) => Promise<Assignment | undefined>;

/** The callback for the client's `rebalance_cb`, or undefined when the service needs none. */
export function rebalanceCallback<T>(service: ConsumerService<T>, logger: Logger): RebalanceCallback | undefined {
  if (!service.storedOffsets && !service.resetPartitionState) return undefined;
  return async (err, assignment) => {
    if (err.code !== ERR_ASSIGN_PARTITIONS && err.code !== ERR_REVOKE_PARTITIONS) return undefined;
    service.resetPartitionState?.(assignment.map((a) => a.partition));
    if (err.code !== ERR_ASSIGN_PARTITIONS || !service.storedOffsets) return undefined;
    const stored = await service.storedOffsets(assignment.map((a) => a.partition));
    const positioned = assignment.map((a) => {
      const next = stored.get(a.partition);
      return next === undefined ? a : { ...a, offset: Number(next) };
    });
    logger.info({ assignment: positioned.map((a) => `${a.partition}@${a.offset ?? 'committed'}`) }, 'partitions assigned; starting from stored offsets');
    return positioned;
  };
}
