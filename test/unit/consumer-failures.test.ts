import { describe, expect, it } from 'vitest';
import { backoffMs, decideOnFailure, DependencyUnavailableError, PoisonRecordError } from '../../src/kafka/consumer/errors.js';

const policy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 1000 };

describe('decideOnFailure', () => {
  it('dead-letters a poison record at once', () => {
    expect(decideOnFailure(new PoisonRecordError('bad bytes'), 1, policy)).toEqual({ action: 'dead-letter' });
  });

  it('retries a transient failure until the attempts run out, then dead-letters', () => {
    expect(decideOnFailure(new Error('smtp timeout'), 1, policy).action).toBe('retry');
    expect(decideOnFailure(new Error('smtp timeout'), 3, policy).action).toBe('retry');
    expect(decideOnFailure(new Error('smtp timeout'), 4, policy)).toEqual({ action: 'dead-letter' });
  });

  it('never dead-letters because our own infrastructure is down', () => {
    expect(decideOnFailure(new DependencyUnavailableError('postgresql', 'down'), 1000, policy).action).toBe('retry');
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, capped, jittered within the upper half', () => {
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 1)).toBe(400);
    expect(backoffMs(10, policy, () => 1)).toBe(1000);
    expect(backoffMs(10, policy, () => 0)).toBe(500);
  });
});
