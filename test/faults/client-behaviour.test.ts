// One account per address under what real clients do, while Kafka fails: double clicks,
// the same form sent to two API instances at once, capitalised domains, clients that give
// up before the API answers, and every 503, timeout and dropped connection retried without
// an Idempotency-Key until it gets a 201. Per address the system must yield one userId,
// one welcome email, one analytics user, one enrolment and one tracked user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../support/api.js';
import { eventually } from '../support/services.js';
import { startClientLoad } from './support/clients.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, startSystem, type SystemUnderTest, leaderOfPartition0 } from './support/system.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;
const PRODUCE_TIMEOUT_MS = 3000;

beforeAll(async () => {
  system = await startSystem({ PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS) }, { apiInstances: 2 });
});

afterAll(async () => {
  await system?.stop();
});

describe('real clients against two API instances while Kafka fails', () => {
  it('kill -9 of a partition leader: one user, one email, one count, one enrolment per address', async () => {
    const startedAt = Date.now();
    const load = startClientLoad({ ports: system.ports, peoplePerSecond: 20, maxPeople: 600, maxSeconds: 30, requestTimeoutMs: 20_000, impatientTimeoutMs: 1000, retryForMs: 90_000 });
    await eventually(() => load.answered() >= 100, () => `answered ${load.answered()}`);
    const leader = await leaderOfPartition0(system);
    await stack('kill', `kafka-${leader}`);
    await sleep(12_000);
    await stack('start', `kafka-${leader}`);
    const result = await load.done;
    const report = await check(system, `clients retrying without a key, two API instances: kill -9 of the partition leader (broker ${leader})`, result, startedAt);
    expect(report.perAddress!.people).toBeGreaterThan(500);
    expectNothingLostOrDuplicated(report, { oneOfEachPerAddress: true, smtpRedeliveries: 0 }); // timeouts 0: no patient client waited 20 s
  });

  it('the whole cluster stopped 10 s, then started: every person ends with one account and one of each effect', async () => {
    const startedAt = Date.now();
    const load = startClientLoad({ ports: system.ports, peoplePerSecond: 10, maxPeople: 400, maxSeconds: 35, requestTimeoutMs: 20_000, impatientTimeoutMs: 1000, retryForMs: 120_000 });
    await eventually(() => load.answered() >= 40, () => `answered ${load.answered()}`);
    await stack('stop', 'kafka');
    await sleep(10_000);
    await stack('start', 'kafka');
    const result = await load.done;
    const report = await check(system, 'clients retrying without a key, two API instances: whole Kafka cluster stopped 10 s, then started', result, startedAt);
    expect(report.unavailable + (report.clientAborts ?? 0)).toBeGreaterThan(0); // the clients did have to retry
    expectNothingLostOrDuplicated(report, { oneOfEachPerAddress: true, smtpRedeliveries: 0 }); // timeouts 0: no patient client waited 20 s
  });
});
