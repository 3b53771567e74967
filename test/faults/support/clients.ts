// Signups as real clients send them, against one or more API instances on 127.0.0.1:
// people double-click, submit the same form to two instances at once (a load balancer
// spreads them), type their domain in capitals, give up waiting before the API answers,
// and retry every 503, timeout and dropped connection without an Idempotency-Key until
// they get a 201. Bounded: a fixed rate of people, a cap on people and on seconds, and a
// cap on each person's retrying.
import { randomUUID } from 'node:crypto';
import type { LoadResult, RunningLoad } from './load.js';
import { sleep } from '../../support/sleep.js';

export interface ClientLoadOptions {
  /** API instances; a person's retries go round them. */
  readonly ports: readonly number[];
  readonly peoplePerSecond: number;
  readonly maxPeople: number;
  readonly maxSeconds: number;
  /** A patient client's timeout: past it the request counts as hung. */
  readonly requestTimeoutMs: number;
  /** An impatient client's timeout: shorter than the API's 503 bound, so it retries while its first request is still in flight. */
  readonly impatientTimeoutMs: number;
  /** How long a person keeps retrying before giving up (counted: must not happen). */
  readonly retryForMs: number;
}

export type Behaviour = 'two instances at once' | 'double click' | 'capitalised domain' | 'impatient';
const BEHAVIOURS: readonly Behaviour[] = ['two instances at once', 'double click', 'capitalised domain', 'impatient'];

export interface Person {
  /** The address as the system normalizes it (domain lower-cased). */
  readonly email: string;
  readonly behaviour: Behaviour;
  /** Every userId a 201 answered this person with. */
  readonly userIds: ReadonlySet<string>;
  readonly created: number;
  readonly attempts: number;
  /** Still without a 201 when the retry window closed. */
  readonly gaveUp: boolean;
}

export interface ClientLoadResult extends LoadResult {
  readonly people: readonly Person[];
  /** Requests an impatient client stopped waiting for (by design; a patient client's timeout is a hang). */
  readonly clientAborts: number;
}

export interface RunningClientLoad extends Omit<RunningLoad, 'done'> {
  readonly done: Promise<ClientLoadResult>;
}

export function startClientLoad(options: ClientLoadOptions): RunningClientLoad {
  const run = randomUUID().slice(0, 8);
  const statuses: Record<string, number> = {};
  const created: Array<{ userId: string; email: string }> = [];
  const people: Person[] = [];
  let stopped = false;
  let answered = 0;
  let timeouts = 0;
  let clientAborts = 0;
  let requests = 0;
  let maxLatencyMs = 0;
  let max503LatencyMs = 0;
  const count = (status: string) => (statuses[status] = (statuses[status] ?? 0) + 1);

  /** One attempt: the userId of a 201, or the delay to wait before retrying. */
  const attempt = async (port: number, body: string, timeoutMs: number, patient: boolean): Promise<{ userId: string } | { retryInMs: number }> => {
    requests++;
    const started = performance.now();
    try {
      const response = await fetch(`http://127.0.0.1:${port}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = (await response.json()) as { userId?: string };
      const latency = performance.now() - started;
      maxLatencyMs = Math.max(maxLatencyMs, latency);
      count(String(response.status));
      if (response.status === 201 && answer.userId) return { userId: answer.userId };
      if (response.status === 503) {
        max503LatencyMs = Math.max(max503LatencyMs, latency);
        return { retryInMs: Math.min(1000, 1000 * Number(response.headers.get('retry-after') ?? 1)) };
      }
      throw new Error(`unexpected ${response.status}: ${JSON.stringify(answer)}`);
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        if (patient) timeouts++;
        else clientAborts++;
      }
      else if (!(error as Error).message.startsWith('unexpected')) count(`error: ${(error as Error).message}`);
      else throw error;
      return { retryInMs: 200 };
    } finally {
      answered++;
    }
  };

  /** A client submitting the form once, then retrying without a key until a 201. */
  const submit = async (person: { email: string; userIds: Set<string>; attempts: number }, address: string, username: string, firstPort: number, timeoutMs: number) => {
    const body = JSON.stringify({ email: address, username });
    const giveUpAt = Date.now() + options.retryForMs;
    for (let i = 0; ; i++) {
      person.attempts++;
      const port = options.ports[(options.ports.indexOf(firstPort) + i) % options.ports.length]!;
      const outcome = await attempt(port, body, timeoutMs, timeoutMs >= options.requestTimeoutMs);
      if ('userId' in outcome) {
        person.userIds.add(outcome.userId);
        created.push({ userId: outcome.userId, email: person.email });
        return true;
      }
      if (Date.now() + outcome.retryInMs > giveUpAt) return false;
      await sleep(outcome.retryInMs);
    }
  };

  const personAt = async (i: number) => {
    const behaviour = BEHAVIOURS[i % BEHAVIOURS.length]!;
    const local = `client-${run}-${i}`;
    const domain = `d${i % 5}.example`;
    const person = { email: `${local}@${domain}`, behaviour, userIds: new Set<string>(), attempts: 0 };
    const username = `client_${run}_${i}`;
    const [a, b = a] = options.ports as [number, number?];
    const patient = options.requestTimeoutMs;
    let outcomes: boolean[];
    switch (behaviour) {
      case 'two instances at once':
        outcomes = await Promise.all([submit(person, person.email, username, a, patient), submit(person, person.email, username, b, patient)]);
        break;
      case 'double click':
        outcomes = await Promise.all([submit(person, person.email, username, a, patient), submit(person, person.email, username, a, patient)]);
        break;
      case 'capitalised domain':
        outcomes = [await submit(person, `${local}@${domain.toUpperCase()}`, username, b, patient)];
        break;
      case 'impatient':
        outcomes = [await submit(person, person.email, username, a, options.impatientTimeoutMs)];
        break;
    }
    people.push({ ...person, created: outcomes.filter(Boolean).length, gaveUp: outcomes.some((ok) => !ok) });
  };

  const done = (async (): Promise<ClientLoadResult> => {
    const inFlight: Promise<void>[] = [];
    const startedAt = performance.now();
    for (let i = 0; i < options.maxPeople && !stopped; i++) {
      const due = startedAt + (i * 1000) / options.peoplePerSecond;
      if (due - startedAt > options.maxSeconds * 1000) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(personAt(i));
    }
    await Promise.all(inFlight);
    return { requests, statuses, created, timeouts, maxLatencyMs: Math.round(maxLatencyMs), max503LatencyMs: Math.round(max503LatencyMs), people, clientAborts };
  })();

  return { stop: () => void (stopped = true), done, answered: () => answered };
}
