// kill -9 every consumer service in the middle of a stream of signups, restart it, and
// check the effects: every signup counted exactly once, one welcome email per user, one
// onboarding enrolment per user for read_committed readers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { AnalyticsStore } from '../../src/services/analytics/store.js';
import { SERVICE_NAMES } from '../../src/services/catalog.js';
import { OnboardingStateStore } from '../../src/services/onboarding/tracker-store.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { readAtLeast } from '../support/topics.js';
import { receivedMail } from '../support/mail.js';
import { buildDist, spawnConsumer, type ChildUnderTest } from '../support/processes.js';
import { eventually } from '../support/services.js';
import { sleep } from '../support/sleep.js';

const SIGNUPS = 300;
let config: Config;
let api: ApiUnderTest;
let pool: Pool;
const running = new Map<string, ChildUnderTest>();
const outputs: string[] = [];

beforeAll(async () => {
  await buildDist();
  config = await isolatedConfig();
  api = await startApiUnderTest(config);
  pool = createPool(config.database.url);
  for (const name of SERVICE_NAMES) running.set(name, spawnConsumer(name, config));
  await eventually(
    () => [...running.values()].every((p) => p.output().includes('consumer running')),
    () => [...running.values()].map((p) => p.output().slice(-500)).join('\n---\n'),
  );
});

afterAll(async () => {
  for (const proc of running.values()) {
    proc.child.kill('SIGTERM');
    await proc.exited;
    outputs.push(proc.output());
  }
  await api?.stop();
  await pool?.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
  await pool?.end();
});

describe('consumers killed with SIGKILL mid-stream', () => {
  it('lose nothing and duplicate no effect', async () => {
    const startedAt = Date.now();
    const emails: string[] = [];
    const userIds: string[] = [];
    let kills = 0;
    for (let i = 0; i < SIGNUPS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const email = `crash${i + j}-${randomUUID().slice(0, 6)}@d${(i + j) % 3}.example`;
          const response = await api.app.inject({
            method: 'POST',
            url: '/signup',
            headers: { 'content-type': 'application/json' },
            payload: { email, username: `crash${i + j}` },
          });
          expect(response.statusCode).toBe(201);
          return { email, userId: response.json<{ userId: string }>().userId };
        }),
      );
      emails.push(...batch.map((b) => b.email));
      userIds.push(...batch.map((b) => b.userId));
      // Paced, so that the kills land while the services are busy with the stream.
      await sleep(100);
      // Twice during the stream, every service is killed hard and started again.
      if (i === 100 || i === 200) {
        for (const name of SERVICE_NAMES) {
          const proc = running.get(name)!;
          proc.child.kill('SIGKILL');
          await proc.exited;
          outputs.push(proc.output());
          running.set(name, spawnConsumer(name, config));
          kills++;
        }
      }
    }
    expect(kills).toBe(8);

    const analytics = new AnalyticsStore(pool, config.analytics.dbSchema);
    const onboarding = new OnboardingStateStore(pool);
    const ours = new Set(emails);
    await eventually(async () => (await analytics.counts()).total === SIGNUPS, async () => `analytics total ${(await analytics.counts()).total} of ${SIGNUPS}`, 90_000);
    await eventually(async () => (await onboarding.forUsers(userIds)).length === SIGNUPS, async () => `${(await onboarding.forUsers(userIds)).length} of ${SIGNUPS} tracked`, 90_000);
    await eventually(() => new Set(receivedMail(startedAt, ours).map((m) => m.to)).size === SIGNUPS, () => `${new Set(receivedMail(startedAt, ours).map((m) => m.to)).size} of ${SIGNUPS} users emailed`, 90_000);
    // Let any redelivery after the restarts play out before counting effects.
    await sleep(3000);

    const counts = await analytics.counts();
    expect(counts.total).toBe(SIGNUPS);
    expect(counts.byDomain).toEqual({ 'd0.example': 100, 'd1.example': 100, 'd2.example': 100 });

    // One welcome email per user: one distinct Message-ID each. A crash between the SMTP
    // server accepting a message and the ledger recording it makes the restarted service
    // hand the same message (same Message-ID) over again; receivers drop such repeats.
    const mails = receivedMail(startedAt, ours);
    const messageIdsPerUser = new Map<string, Set<string>>();
    for (const mail of mails) messageIdsPerUser.set(mail.to, (messageIdsPerUser.get(mail.to) ?? new Set()).add(mail.messageId));
    expect(messageIdsPerUser.size).toBe(SIGNUPS);
    expect([...messageIdsPerUser.values()].every((ids) => ids.size === 1)).toBe(true);
    console.log(`crash test: ${SIGNUPS} signups, 8 SIGKILLs, ${mails.length} SMTP deliveries for ${SIGNUPS} distinct welcome emails`);

    const enrolments = await readAtLeast(config.kafka, config.topics.onboarding.name, SIGNUPS, 60_000);
    expect(enrolments).toHaveLength(SIGNUPS);
    expect(new Set(enrolments.map((e) => e.key)).size).toBe(SIGNUPS);
    // Onboarding commits one Kafka transaction per record (about 100/s here), so catching
    // up after the kills takes most of this bound.
  }, 240_000);
});

describe('a consumer service process on SIGTERM', () => {
  it('finishes, commits, leaves its group and exits 0 within the shutdown bound', async () => {
    // A group of its own, so that its membership does not wait on other members' rebalances.
    const own: Config = { ...config, consumers: { ...config.consumers, groupPrefix: `${config.consumers.groupPrefix}sigterm.` } };
    const group = `${own.consumers.groupPrefix}email`;
    const admin = api.kafka.admin();
    await admin.connect();
    const members = async () => (await admin.describeGroups([group])).groups[0]?.members.length ?? 0;
    const proc = spawnConsumer('email', own);
    try {
      await eventually(
        async () => proc.output().includes('health and metrics listening') && (await members()) === 1,
        async () => `${await members()} members; ${proc.output().slice(-500)}`,
      );
      const signalledAt = Date.now();
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(proc.output()).toContain('shutting down: finishing the record in hand');
      expect(proc.output()).toContain('email consumer stopped');
      // It left the group at once rather than being timed out of it (session timeout 45 s).
      await eventually(async () => (await members()) === 0, async () => `${await members()} members`, 5000);
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL'); // never outlive the test
      await admin.disconnect();
    }
  });
});

describe('a consumer service process', () => {
  it('serves liveness, readiness with its partitions, and Prometheus metrics with lag per partition', async () => {
    const proc = running.get('analytics')!;
    const url = await healthUrlOf(proc);
    const live = await fetch(`${url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ live: true, checks: { kafkaStatistics: { ok: true } } });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // The API's shape: { ready, checks: { <name>: { ok, detail } } }.
    const body = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.ready).toBe(true);
    expect(body.checks.kafkaStatistics!.ok).toBe(true);
    expect(body.checks.partitions!.detail.split(', ')).toHaveLength(config.topics.signups.partitions);
    // librdkafka reports its statistics every 5 s.
    await eventually(async () => (await (await fetch(`${url}/metrics`)).text()).includes('kafka_consumer_lag{'), () => 'lag gauges', 20_000);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/consumer_records_handled_total\{[^}]*group="[^"]+analytics"[^}]*\} \d+/);
    expect(metrics).toMatch(/kafka_consumer_lag\{[^}]*partition="0"[^}]*\} \d+/);
    expect(metrics).toMatch(/consumer_handler_duration_seconds_bucket/);
    expect(metrics).toMatch(/kafka_broker_rtt_seconds\{/);
  });
});

async function healthUrlOf(proc: ChildUnderTest): Promise<string> {
  let url: string | undefined;
  await eventually(
    () => {
      url = /"url":"(http:\/\/[^"]+)","msg":"health and metrics listening"/.exec(proc.output())?.[1];
      return url !== undefined;
    },
    () => proc.output().slice(-500),
  );
  return url!;
}
