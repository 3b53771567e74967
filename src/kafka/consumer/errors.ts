// How a failed record is treated is decided by the error's type, never by its message:
//   PoisonRecordError          the record can never be handled: dead-letter it now
//   DependencyUnavailableError  our own infrastructure is down: retry until it returns,
//                               never dead-letter (a database outage is not the record's fault)
//   anything else               transient: retry with back-off, dead-letter after the bound

export class PoisonRecordError extends Error {
  override readonly name = 'PoisonRecordError';
}

export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type FailureDecision = { action: 'retry'; delayMs: number } | { action: 'dead-letter' };

export interface RetryPolicy {
  /** Attempts (the first one included) before a transient failure is dead-lettered. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** What to do after `attempt` (1-based) failed with `error`. */
export function decideOnFailure(error: unknown, attempt: number, policy: RetryPolicy, random = Math.random): FailureDecision {
  if (error instanceof PoisonRecordError) return { action: 'dead-letter' };
  if (!(error instanceof DependencyUnavailableError) && attempt >= policy.maxAttempts) return { action: 'dead-letter' };
  return { action: 'retry', delayMs: backoffMs(attempt, policy, random) };
}

/** Exponential back-off with full jitter on the upper half: spreads retries, keeps the growth. */
export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
