// Is the consumer still getting through its records? A consumer can stop while its process
// and its connections look fine: a handler that never returns, or the client's loop no
// longer handing out batches (with several partitions in flight, librdkafka's statistics
// keep arriving while one of them is stuck). So it is watched here: each handler call that
// returns (done, dead-lettered or failed into a back-off) is progress, and so is each round
// of a deliberate wait for a dependency.
import type { CheckResult } from '../../observability/health.js';

export interface ProgressWatchOptions {
  /** No progress for this long, with records waiting and no back-off in effect: stalled. */
  readonly stallAfterMs: number;
  /** True while a partition is paused by the runtime's own back-off: waiting on purpose. */
  readonly backingOff: () => boolean;
  /** Records the group has still to receive on this instance's partitions. */
  readonly lag: () => Promise<bigint>;
  readonly now?: () => number;
}

export class ProgressWatch {
  private readonly now: () => number;
  private lastProgressAt: number;
  private verdict: CheckResult = { ok: true, detail: 'starting' };
  /** Handler calls under way: when each began and what it is working on. */
  private readonly inFlight = new Map<number, { readonly since: number; readonly what: () => string }>();
  private calls = 0;

  constructor(private readonly options: ProgressWatchOptions) {
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
  }

  /** Wraps a handler entry point: its every return counts as progress, a throw too (a retry or a back-off follows). */
  track<A>(handler: (payload: A) => Promise<void>, describe: (payload: A) => string): (payload: A) => Promise<void> {
    return async (payload) => {
      const call = this.calls++;
      // Described only if it turns out stuck: no string per record on the happy path.
      this.inFlight.set(call, { since: this.now(), what: () => describe(payload) });
      try {
        await handler(payload);
      } finally {
        this.inFlight.delete(call);
        this.progressed();
      }
    };
  }

  /** Something moved on: a record handled, or a deliberate wait (for a dependency, for a rebalance) went round. */
  progressed(): void {
    this.lastProgressAt = this.now();
  }

  sinceLastProgressMs(): number {
    return this.now() - this.lastProgressAt;
  }

  /**
   * Decides whether the consumer is stalled: a handler call has been under way for the whole
   * stall time, or nothing has moved for that long while records wait and no back-off is in
   * effect. The lag is asked for only in the second case: an idle consumer with nothing to
   * read is not stalled. A lag that cannot be measured (Kafka unreachable, no statistics) is
   * no verdict: liveness checks the client's statistics itself.
   */
  async evaluate(): Promise<CheckResult> {
    const idleMs = this.sinceLastProgressMs();
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    const stuck = [...this.inFlight.values()].find((call) => this.now() - call.since >= this.options.stallAfterMs);
    if (stuck) {
      // A call under way holds records of its partition back, whatever the others do.
      this.verdict = { ok: false, detail: `stalled: the handler call on ${stuck.what()} has been running for ${seconds(this.now() - stuck.since)} (stall timeout ${seconds(this.options.stallAfterMs)})` };
    } else if (idleMs < this.options.stallAfterMs) this.verdict = { ok: true, detail: `last progress ${seconds(idleMs)} ago` };
    else if (this.options.backingOff()) this.verdict = { ok: true, detail: `backing off; last progress ${seconds(idleMs)} ago` };
    else {
      let lag: bigint | undefined;
      try {
        lag = await this.options.lag();
      } catch (error) {
        this.verdict = { ok: true, detail: `last progress ${seconds(idleMs)} ago; lag unknown: ${(error as Error).message}` };
        return this.verdict;
      }
      this.verdict =
        lag === 0n
          ? { ok: true, detail: `idle: nothing to read; last progress ${seconds(idleMs)} ago` }
          : { ok: false, detail: `stalled: ${lag} record(s) waiting and no progress for ${seconds(idleMs)} (stall timeout ${seconds(this.options.stallAfterMs)})` };
    }
    return this.verdict;
  }

  /** The latest verdict, for a health probe that must answer at once. */
  status(): CheckResult {
    return this.verdict;
  }
}
