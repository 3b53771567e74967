// A bounded load of signups against the API's real HTTP port: a fixed rate, a cap on the
// number of requests and on the time, and a timeout on every request, so that a hang shows
// up as a counted timeout instead of a stuck test. Traffic goes to 127.0.0.1 only.
import { randomUUID } from 'node:crypto';
import { sleep } from '../../support/sleep.js';

export interface LoadOptions {
  readonly port: number;
  readonly ratePerSecond: number;
  readonly maxRequests: number;
  readonly maxSeconds: number;
  /** Past this a request counts as hung. */
  readonly requestTimeoutMs: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Users whose signup was acknowledged (201). */
  readonly created: ReadonlyArray<{ readonly userId: string; readonly email: string }>;
  readonly timeouts: number;
  /** Slowest answer of all, in ms (timeouts excluded). */
  readonly maxLatencyMs: number;
  /** Slowest 503, in ms: the bound the API promises while Kafka is away. */
  readonly max503LatencyMs: number;
}

export interface RunningLoad {
  /** Ends the load early (the requests in flight still finish). */
  stop(): void;
  readonly done: Promise<LoadResult>;
  /** Answers so far, for waiting on progress. */
  answered(): number;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const statuses: Record<string, number> = {};
  const created: Array<{ userId: string; email: string }> = [];
  const run = randomUUID().slice(0, 8);
  let stopped = false;
  let answered = 0;
  let timeouts = 0;
  let maxLatencyMs = 0;
  let max503LatencyMs = 0;

  const one = async (i: number) => {
    const email = `fault-${run}-${i}@d${i % 5}.example`;
    const started = performance.now();
    try {
      const response = await fetch(`http://127.0.0.1:${options.port}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, username: `fault_${run}_${i}` }),
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const body = (await response.json()) as { userId?: string };
      const latency = performance.now() - started;
      maxLatencyMs = Math.max(maxLatencyMs, latency);
      if (response.status === 503) max503LatencyMs = Math.max(max503LatencyMs, latency);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 201 && body.userId) created.push({ userId: body.userId, email });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') timeouts++;
      else statuses[`error: ${(error as Error).message}`] = (statuses[`error: ${(error as Error).message}`] ?? 0) + 1;
    } finally {
      answered++;
    }
  };

  const done = (async () => {
    const inFlight: Promise<void>[] = [];
    const startedAt = performance.now();
    for (let i = 0; i < options.maxRequests && !stopped; i++) {
      const due = startedAt + (i * 1000) / options.ratePerSecond;
      if (due - startedAt > options.maxSeconds * 1000) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(one(i));
    }
    await Promise.all(inFlight);
    return { requests: inFlight.length, statuses, created, timeouts, maxLatencyMs: Math.round(maxLatencyMs), max503LatencyMs: Math.round(max503LatencyMs) };
  })();

  return { stop: () => void (stopped = true), done, answered: () => answered };
}
