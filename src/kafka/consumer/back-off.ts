// Retrying a partition later without stopping the others: the partition is paused for the
// back-off, so the poll loop (and with it the group membership) carries on, and the
// failure is thrown, which makes the client seek back to the first record not marked
// processed.
import type { Logger } from '../../logger.js';

export type Pause = () => () => void;

export class PartitionBackOff {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  retryLater(pause: Pause, delayMs: number, failure: unknown): never {
    const resume = pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // Not after stop() began: the consumer may be disconnected by now.
      if (this.stopped) return;
      try {
        resume();
      } catch (error) {
        this.logger.warn({ err: error }, 'cannot resume a paused partition');
      }
    }, delayMs);
    this.timers.add(timer);
    throw failure;
  }

  /** True while some partition waits out a back-off. */
  active(): boolean {
    return this.timers.size > 0;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }
}
