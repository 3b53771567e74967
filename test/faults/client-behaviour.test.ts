// One account per address under what real clients do, while Kafka fails: double clicks,
// the same form sent to two API instances at once, capitalised domains, clients that give
// up before the API answers, and every 503, timeout and dropped connection retried without
// an Idempotency-Key until it gets a 201. Per address the system must yield one userId,
// one welcome email, one analytics user, one enrolment and one tracked user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../support/api.js';
import { eventually } from '../support/services.js';
import { startClientLoad } from './support/clients.js';
import { check, startSystem, type FaultReport, type SystemUnderTest } from './support/system.js';

let system: SystemUnderTest;
const PRODUCE_TIMEOUT_MS = 3000;

beforeAll(async () => {
  system = await startSystem({ PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS) }, { apiInstances: 2 });
});

afterAll(async () => {
  await system?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function leaderOfPartition0(): Promise<number> {
  const admin = system.api.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchTopicMetadata({ topics: [system.config.topics.signups.name] });
    return topic!.partitions.find((p) => p.partitionId === 0)!.leader;
  } finally {
    await admin.disconnect();
  }
}

function expectOneOfEverythingPerAddress(report: FaultReport) {
  expect(report.perAddress).toMatchObject({ never201: 0, userIds: 0, welcomeEmails: 0, analyticsUsers: 0, enrolments: 0, trackedUsers: 0 });
  expect(report.timeouts).toBe(0); // no patient client waited 20 s: the API always answered
  expect(report.otherStatuses).toEqual({});
  expect(report.lost).toBe(0);
  expect(report.doubleCounted).toBe(0);
  expect(report.secondEmails).toBe(0);
  expect(report.smtpRedeliveries).toBe(0);
  expect(report.duplicateEnrolments).toBe(0);
  expect(report.deadLettered).toBe(0);
  expect(report.rawEmailsInLogs).toBe(0);
}

describe('real clients against two API instances while Kafka fails', () => {
  it('kill -9 of a partition leader: one user, one email, one count, one enrolment per address', async () => {
    const startedAt = Date.now();
    const load = startClientLoad({ ports: system.ports, peoplePerSecond: 20, maxPeople: 600, maxSeconds: 30, requestTimeoutMs: 20_000, impatientTimeoutMs: 1000, retryForMs: 90_000 });
    await eventually(() => load.answered() >= 100, () => `answered ${load.answered()}`);
    const leader = (await leaderOfPartition0()) as 1 | 2 | 3;
    await stack('kill', `kafka-${leader}`);
    await sleep(12_000);
    await stack('start', `kafka-${leader}`);
    const result = await load.done;
    const report = await check(system, `clients retrying without a key, two API instances: kill -9 of the partition leader (broker ${leader})`, result, startedAt);
    expect(report.perAddress!.people).toBeGreaterThan(500);
    expectOneOfEverythingPerAddress(report);
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
    expectOneOfEverythingPerAddress(report);
  });
});
