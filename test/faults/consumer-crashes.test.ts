// Consumers dying and churning under load, on the three-broker cluster: every service
// killed with SIGKILL again and again, then instances joining and leaving one group (a
// rebalance storm). Counts stay exact, no second email, one enrolment per user for
// read_committed readers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from './support/load.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, SERVICES, startSystem, type SystemUnderTest } from './support/system.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});


describe('consumers under load', () => {
  it('each service killed with SIGKILL mid-batch, repeatedly: exact counts, no second email, enrolments exactly once', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 40, maxRequests: 1200, maxSeconds: 30, requestTimeoutMs: 20_000 });
    let kills = 0;
    while (kills < 12 && load.answered() < 1100) {
      await sleep(2_000);
      const service = SERVICES[kills % SERVICES.length]!;
      await system.killAndRestart(service, service);
      kills++;
    }
    const result = await load.done;
    const report = await check(system, `${kills} SIGKILLs of the consumer services (each at least ${Math.floor(kills / SERVICES.length)} times)`, result, startedAt);
    expect(kills).toBeGreaterThanOrEqual(SERVICES.length * 2);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests });
  });

  it('a rebalance storm: instances of every group join and leave during the load, nothing lost, nothing twice', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 40, maxRequests: 1600, maxSeconds: 40, requestTimeoutMs: 20_000 });
    let changes = 0;
    for (let round = 0; round < 4 && load.answered() < 1500; round++) {
      // A second instance of each service joins…
      for (const service of SERVICES) system.spawn(`${service}-extra`, service);
      changes += SERVICES.length;
      await sleep(5_000);
      // …and leaves again, half of them cleanly, half killed.
      for (const [i, service] of SERVICES.entries()) {
        const extra = system.consumers.get(`${service}-extra`)!;
        extra.child.kill(i % 2 === 0 ? 'SIGTERM' : 'SIGKILL');
        await extra.exited;
        system.consumers.delete(`${service}-extra`);
      }
      changes += SERVICES.length;
      await sleep(3_000);
    }
    const result = await load.done;
    const report = await check(system, `rebalance storm: ${changes} instances joining or leaving`, result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests });
  });
});
