// The rebalance policy (pure logic: the client's callback contract, no broker).
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { rebalanceCallback } from '../../src/kafka/consumer/rebalance.js';
import type { RecordConsumerService } from '../../src/kafka/consumer/service.js';

const ASSIGN = { code: -175 };
const REVOKE = { code: -174 };
const logger = createLogger('silent', 'test');
const base: RecordConsumerService<unknown> = { name: 's', groupId: 'g', topic: 't', readerSchema: '{}', handle: async () => undefined };
const assignment = () => [
  { topic: 't', partition: 0 },
  { topic: 't', partition: 3 },
];

describe('rebalanceCallback', () => {
  it('hands back every assignment, so the client never applies a seek queued while a partition was away', async () => {
    const callback = rebalanceCallback(base, { logger, stopping: () => false, retryDelayMs: () => 1 });
    expect(await callback(ASSIGN, assignment())).toEqual(assignment());
    expect(await callback(REVOKE, assignment())).toBeUndefined();
  });

  it('resets per-partition state on assignment and on revocation', async () => {
    const reset: number[][] = [];
    const callback = rebalanceCallback({ ...base, resetPartitionState: (p) => void reset.push([...p]) }, { logger, stopping: () => false, retryDelayMs: () => 1 });
    await callback(ASSIGN, assignment());
    await callback(REVOKE, [{ topic: 't', partition: 3 }]);
    expect(reset).toEqual([[0, 3], [3]]);
  });

  it('starts each partition at its stored offset, and waits for the store rather than start anywhere else', async () => {
    let failures = 2;
    const service = {
      ...base,
      storedOffsets: async () => {
        if (failures-- > 0) throw new Error('database unavailable');
        return new Map([[0, '42']]);
      },
    };
    const callback = rebalanceCallback(service, { logger, stopping: () => false, retryDelayMs: () => 1 });
    expect(await callback(ASSIGN, assignment())).toEqual([
      { topic: 't', partition: 0, offset: 42 },
      { topic: 't', partition: 3 },
    ]);
    expect(failures).toBe(-1);
  });

  it('takes no partition when it stops while still waiting for the store', async () => {
    let stopping = false;
    const service = {
      ...base,
      storedOffsets: async () => {
        stopping = true;
        throw new Error('database unavailable');
      },
    };
    const callback = rebalanceCallback(service, { logger, stopping: () => stopping, retryDelayMs: () => 1 });
    expect(await callback(ASSIGN, assignment())).toEqual([]);
  });
});
