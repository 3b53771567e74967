// Kafka failing under load, on the three-broker cluster: one broker killed, then the whole
// cluster stopped and started. Acknowledged signups are never lost, the API always answers
// (201 or 503 within its bound, never a hang), the consumers carry on by themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../support/api.js';
import { eventually } from '../support/services.js';
import { startLoad } from './support/load.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, startSystem, type SystemUnderTest, leaderOfPartition0 } from './support/system.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;
const PRODUCE_TIMEOUT_MS = 3000;

beforeAll(async () => {
  system = await startSystem({ PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS) });
});

afterAll(async () => {
  await stack('thaw', 'kafka').catch(() => undefined); // whatever happened, no node stays frozen
  await system?.stop();
});


describe('Kafka failures under load', () => {
  it('kill -9 of the leader of a partition: nothing acknowledged is lost, every request answered, consumers continue', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 40, maxRequests: 1200, maxSeconds: 30, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 150, () => `answered ${load.answered()}`);
    const leader = await leaderOfPartition0(system);
    expect([1, 2, 3]).toContain(leader);
    await stack('kill', `kafka-${leader}`);
    await sleep(12_000); // the load carries on against the two brokers left
    await stack('start', `kafka-${leader}`);
    const result = await load.done;
    const report = await check(system, `kill -9 of the partition leader (broker ${leader})`, result, startedAt);
    expect(report.created).toBeGreaterThan(result.requests / 2);
    expectNothingLostOrDuplicated(report);
  });

  it('a broker frozen (SIGSTOP) 25 s, then resumed: hung requests and transactions are bounded, nothing lost or done twice', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 1500, maxSeconds: 45, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 150, () => `answered ${load.answered()}`);
    const leader = await leaderOfPartition0(system);
    await stack('freeze', `kafka-${leader}`);
    try {
      await sleep(25_000);
    } finally {
      await stack('thaw', `kafka-${leader}`);
    }
    const result = await load.done;
    const report = await check(system, `broker ${leader} (leader of partition 0) frozen with SIGSTOP for 25 s, then resumed`, result, startedAt);
    expect(report.max503LatencyMs).toBeLessThan(PRODUCE_TIMEOUT_MS + 2500);
    expectNothingLostOrDuplicated(report);
    const bounded = system.logs().split('\n').filter((l) => l.includes('did not finish within')).length;
    console.log(`transactions given up past their bound while the broker was frozen: ${bounded}`);
  });

  it('the whole cluster stopped, then started: 503 within the bound while down, recovery by itself, consumers resume', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 20, maxRequests: 2000, maxSeconds: 90, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 60, () => `answered ${load.answered()}`);
    await stack('stop', 'kafka');
    await sleep(10_000);
    await stack('start', 'kafka');
    // Recovery: the API acknowledges signups again without being restarted.
    const recovered = Date.now();
    await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${system.port}/readyz`, { signal: AbortSignal.timeout(5000) });
        return response.status === 200;
      },
      () => 'the API is not ready again',
      90_000,
    );
    const readyAfterMs = Date.now() - recovered;
    await sleep(5_000);
    load.stop();
    const result = await load.done;
    const report = await check(system, 'whole Kafka cluster stopped for 10 s, then started', result, startedAt);
    console.log(`API ready again ${readyAfterMs} ms after the cluster started`);
    expect(report.unavailable).toBeGreaterThan(0);
    // A 503 comes within the produce timeout plus about a second of librdkafka's timer granularity.
    expect(report.max503LatencyMs).toBeLessThan(PRODUCE_TIMEOUT_MS + 2500);
    expectNothingLostOrDuplicated(report);
  });
});
