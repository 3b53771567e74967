// What operators and infrastructure do to consumer instances under load: an email and an
// onboarding instance frozen (SIGSTOP) past the session timeout while a second instance of
// each takes over their partitions, then resumed; and the email and onboarding groups
// replayed from the beginning while signups keep coming; analytics restarted on a database
// restored from an older snapshot. No second email, one enrolment per user, no count twice,
// nothing lost.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroups } from '../../src/services/catalog.js';
import { moveGroup, requireIdleGroup } from '../../src/operations/replay.js';
import { eventually } from '../support/services.js';
import { startLoad } from './support/load.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, startSystem, type SystemUnderTest } from './support/system.js';
import { setGroupConfig } from '../support/kafka-tool.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;
const SESSION_TIMEOUT_MS = 8000;

beforeAll(async () => {
  system = await startSystem();
  // The consumer protocol takes the session timeout from the broker (45 s by default) or
  // from the group's own configuration, as an operator sets it.
  const groups = consumerGroups(system.config);
  for (const group of [groups.email, groups.onboarding]) {
    await setGroupConfig(group, { 'consumer.session.timeout.ms': SESSION_TIMEOUT_MS, 'consumer.heartbeat.interval.ms': 2000 });
  }
  for (const service of ['email', 'onboarding'] as const) system.spawn(`${service}-2`, service);
  await eventually(
    () => ['email-2', 'onboarding-2'].every((key) => system.consumers.get(key)!.output().includes('consumer running')),
    () => 'the second instances running',
    60_000,
  );
});

afterAll(async () => {
  for (const proc of system?.consumers.values() ?? []) proc.child.kill('SIGCONT');
  await system?.stop();
});

describe('instances frozen and groups replayed under load', () => {
  it('an email and an onboarding instance frozen past the session timeout, then resumed: one email, one enrolment per user', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 900, maxSeconds: 30, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 90, () => `answered ${load.answered()}`);
    const frozen = [system.consumers.get('email')!, system.consumers.get('onboarding')!];
    for (const proc of frozen) proc.child.kill('SIGSTOP');
    await sleep(SESSION_TIMEOUT_MS + 6000); // the group has given their partitions to the second instances
    for (const proc of frozen) proc.child.kill('SIGCONT');
    const result = await load.done;
    const report = await check(system, `an email and an onboarding instance frozen (SIGSTOP) ${(SESSION_TIMEOUT_MS + 6000) / 1000} s, past the ${SESSION_TIMEOUT_MS / 1000} s session timeout, then resumed`, result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests, smtpRedeliveries: 0 });
  });

  it('the email and onboarding groups replayed from the beginning while signups flow: nothing sent or enrolled twice', async () => {
    const { config, api } = system;
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 600, maxSeconds: 20, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 90, () => `answered ${load.answered()}`);
    const admin = api.kafka.admin();
    await admin.connect();
    try {
      for (const service of ['email', 'onboarding'] as const) {
        // As the README says: stop every instance of the service, move its group, start it again.
        for (const key of [service, `${service}-2`]) {
          const proc = system.consumers.get(key)!;
          proc.child.kill('SIGTERM');
          await proc.exited;
        }
        const group = consumerGroups(config)[service];
        await eventually(() => requireIdleGroup(admin, group).then(() => true, () => false), () => `${group} still has members`, 60_000);
        await moveGroup(api.kafka, admin, group, config.topics.signups.name, { kind: 'earliest' });
        system.spawn(service, service);
        system.spawn(`${service}-2`, service);
      }
    } finally {
      await admin.disconnect();
    }
    const result = await load.done;
    const report = await check(system, 'email and onboarding groups replayed from the earliest offset during the load (two instances each)', result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests, smtpRedeliveries: 0 });
    expect(system.logs()).toMatch(/user already enrolled; nothing to publish/);
    expect(system.logs()).toMatch(/welcome email already sent; skipping/);
  });

  it('analytics restarted on a database restored from an older snapshot (behind Kafka): it recounts the gap, nothing twice', async () => {
    const { config } = system;
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 600, maxSeconds: 20, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 150, () => `answered ${load.answered()}`);
    // A snapshot of the analytics schema (counts and positions) taken now, with pg_dump…
    const snapshot = await run('pg_dump', ['--dbname', config.database.url, '--schema', config.analytics.dbSchema, '--clean', '--if-exists']);
    await sleep(6_000);
    // …restored later, while analytics is stopped: its database is now behind Kafka, where the
    // group's committed offsets are further on.
    const analytics = system.consumers.get('analytics')!;
    analytics.child.kill('SIGTERM');
    await analytics.exited;
    await run('psql', ['--dbname', config.database.url, '--quiet', '--set', 'ON_ERROR_STOP=1'], snapshot);
    system.spawn('analytics', 'analytics');
    const result = await load.done;
    const report = await check(system, 'analytics restarted on its database restored from a snapshot 6 s old (behind Kafka)', result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests, smtpRedeliveries: 0 });
  });
});

/** Runs a client tool of PostgreSQL's, feeding it `input`; its standard output. */
function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} failed: ${stderr || error.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}
