// The deployment the services are built for: two API instances and two instances of every
// consumer service on the three-broker cluster, the instances of a service sharing its
// group's partitions. Under a steady load through both APIs, every consumer instance is
// restarted in turn, as a rolling deploy does (SIGTERM, start, wait until it runs, next):
// every acknowledged signup gets its one email, count and enrolment, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/services.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { startLoad, type LoadResult } from './support/load.js';
import { check, SERVICES, startSystem, type SystemUnderTest } from './support/system.js';

let system: SystemUnderTest;
const INSTANCES = SERVICES.flatMap((service) => [{ key: service, service }, { key: `${service}-2`, service }]);

beforeAll(async () => {
  system = await startSystem({}, { apiInstances: 2 });
  for (const service of SERVICES) system.spawn(`${service}-2`, service);
  await eventually(
    () => INSTANCES.every(({ key }) => system.consumers.get(key)!.output().includes('consumer running')),
    () => 'every second instance running',
    60_000,
  );
});

afterAll(async () => {
  await system?.stop();
});

/** Two loads, one per API instance, as one result. */
function together(results: readonly LoadResult[]): LoadResult {
  const statuses: Record<string, number> = {};
  for (const r of results) for (const [status, n] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return {
    requests: results.reduce((n, r) => n + r.requests, 0),
    statuses,
    created: results.flatMap((r) => r.created),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    maxLatencyMs: Math.max(...results.map((r) => r.maxLatencyMs)),
    max503LatencyMs: Math.max(...results.map((r) => r.max503LatencyMs)),
  };
}

describe('two instances of everything, rolled one at a time', () => {
  it('every consumer instance restarted in turn under load through two APIs: one email, one count, one enrolment per user', async () => {
    const startedAt = Date.now();
    const loads = system.ports.map((port) => startLoad({ port, ratePerSecond: 20, maxRequests: 3000, maxSeconds: 150, requestTimeoutMs: 20_000 }));
    await eventually(() => loads.every((l) => l.answered() >= 60), () => `answered ${loads.map((l) => l.answered()).join(' + ')}`);
    for (const { key, service } of INSTANCES) {
      const old = system.consumers.get(key)!;
      old.child.kill('SIGTERM');
      // The process bounds its own shutdown (SHUTDOWN_TIMEOUT_MS, then its watchdog).
      expect(await old.exited, `${key} exit code after SIGTERM`).toBe(0);
      const fresh = system.spawn(key, service);
      await eventually(() => fresh.output().includes('consumer running'), () => `${key} restarted: ${fresh.output().slice(-400)}`, 60_000);
    }
    for (const load of loads) load.stop();
    const result = together(await Promise.all(loads.map((l) => l.done)));
    const report = await check(system, 'two API instances and two instances of every service; each of the 8 consumer instances restarted in turn (SIGTERM, start) under load', result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests });
  });
});
