// The whole system under a fault: the real API (in this process, on a real HTTP port) and
// the four consumer services as child processes, on topics, groups and an analytics schema
// of the test's own, against the three-broker cluster. After the fault, check() reads every
// topic from the beginning and the services' stores, and compares them with the load's 201s.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../src/config.js';
import { createPool, type Pool } from '../../../src/db/pool.js';
import { consumerGroups, SERVICE_NAMES, type ServiceName } from '../../../src/services/catalog.js';
import { deadLetterTopic } from '../../../src/kafka/consumer/dead-letter.js';
import { AnalyticsStore } from '../../../src/services/analytics/store.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../../support/api.js';
import { withTimeout } from '../../support/kafka.js';
import { receivedMail } from '../../support/mail.js';
import { buildDist, root, spawnConsumer, type ChildUnderTest } from '../../support/processes.js';
import { eventually } from '../../support/services.js';
import { readTopic } from '../../support/topics.js';
import type { ClientLoadResult } from './clients.js';
import type { LoadResult } from './load.js';

export const SERVICES = SERVICE_NAMES;
export type Service = ServiceName;

export interface SystemUnderTest {
  readonly config: Config;
  /** The first API instance; `apis` holds every one. */
  readonly api: ApiUnderTest;
  readonly apis: readonly ApiUnderTest[];
  readonly pool: Pool;
  readonly startedAt: number;
  readonly port: number;
  readonly ports: readonly number[];
  /** Live processes by service; replaced on restart. Extra instances are kept by their own key. */
  readonly consumers: Map<string, ChildUnderTest>;
  /** Everything every process logged so far, killed ones included. */
  logs(): string;
  spawn(key: string, service: Service): ChildUnderTest;
  /** SIGKILLs the process under `key` and starts a fresh one of the same service. */
  killAndRestart(key: string, service: Service): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem(overrides: Record<string, string> = {}, { apiInstances = 1 } = {}): Promise<SystemUnderTest> {
  await buildDist();
  const config = await isolatedConfig({
    PRODUCE_TIMEOUT_MS: '3000',
    CONSUMER_INITIAL_BACKOFF_MS: '200',
    CONSUMER_MAX_BACKOFF_MS: '2000',
    ...overrides,
  });
  if (config.topics.replicationFactor < 3) {
    throw new Error(`the fault tests need the three-broker cluster (topics with replication factor 3), found ${config.topics.replicationFactor}: run 'scripts/stack up --brokers 3'`);
  }
  // Each instance has its own producer and HTTP port; they share only the configuration,
  // as instances behind one load balancer do.
  const apis: ApiUnderTest[] = [];
  for (let i = 0; i < apiInstances; i++) apis.push(await startApiUnderTest(config));
  const api = apis[0]!;
  const pool = createPool(config.database.url);
  const consumers = new Map<string, ChildUnderTest>();
  const exited: ChildUnderTest[] = [];
  const spawn = (key: string, service: Service) => {
    const replaced = consumers.get(key);
    if (replaced) exited.push(replaced); // its log still counts
    const child = spawnConsumer(service, config);
    consumers.set(key, child);
    return child;
  };
  for (const service of SERVICES) spawn(service, service);
  await eventually(
    () => [...consumers.values()].every((p) => p.output().includes('consumer running')),
    () => [...consumers.values()].map((p) => p.output().slice(-400)).join('\n---\n'),
    60_000,
  );
  return {
    config,
    api,
    apis,
    pool,
    startedAt: Date.now(),
    port: Number(new URL(api.url).port),
    ports: apis.map((a) => Number(new URL(a.url).port)),
    consumers,
    spawn,
    logs: () => [...exited, ...consumers.values()].map((p) => p.output()).join('\n') + apis.map((a) => a.logLines.join('')).join('\n'),
    async killAndRestart(key, service) {
      const old = consumers.get(key)!;
      old.child.kill('SIGKILL');
      await old.exited;
      spawn(key, service);
    },
    async stop() {
      // Bounded: a process that has not exited 20 s after SIGTERM is killed (its log says why).
      await Promise.all(
        [...consumers.values()].map(async (proc) => {
          proc.child.kill('SIGTERM');
          const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
          await proc.exited;
          clearTimeout(timer);
        }),
      );
      // Every process's log, for the post-mortem of a failed run.
      const logs = join(root, 'test-output', 'faults', 'logs', config.consumers.groupPrefix.replace(/\.$/, ''));
      mkdirSync(logs, { recursive: true });
      for (const [key, proc] of consumers) writeFileSync(join(logs, `${key}.log`), proc.output());
      exited.forEach((proc, i) => writeFileSync(join(logs, `killed-${i}.log`), proc.output()));
      apis.forEach((a, i) => writeFileSync(join(logs, i === 0 ? 'api.log' : `api-${i + 1}.log`), a.logLines.join('')));
      for (const a of apis) await withTimeout(a.stop(), 30_000, 'the API stopping').catch((error: unknown) => console.error(`API stop: ${(error as Error).message}`));
      await withTimeout(pool.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`), 20_000, 'dropping the analytics schema').catch((error: unknown) =>
        console.error(`cleanup: ${(error as Error).message}`),
      );
      await pool.end();
    },
  };
}

export interface FaultReport {
  readonly fault: string;
  readonly seconds: number;
  readonly requests: number;
  readonly created: number;
  readonly unavailable: number;
  readonly otherStatuses: Readonly<Record<string, number>>;
  readonly timeouts: number;
  readonly max503LatencyMs: number;
  readonly eventsFound: number;
  /** 201s whose event is not on the topic. Must be 0. */
  readonly lost: number;
  /** Users counted more than once by analytics, or a total that disagrees with its rows. Must be 0. */
  readonly doubleCounted: number;
  /** Users with more than one distinct welcome email (Message-ID). Must be 0. */
  readonly secondEmails: number;
  /** SMTP deliveries of a message already delivered (same Message-ID): the documented crash window. */
  readonly smtpRedeliveries: number;
  /** Users with more than one onboarding enrolment visible to read_committed readers. Must be 0. */
  readonly duplicateEnrolments: number;
  readonly deadLettered: number;
  /** Log lines of any process that carry a signup's raw email address. Must be 0. */
  readonly rawEmailsInLogs: number;
  /** Client-behaviour loads only: requests an impatient client stopped waiting for, by design. */
  readonly clientAborts?: number;
  /** Client-behaviour loads only: per address (one person), how many addresses did not get exactly one of each. All must be 0. */
  readonly perAddress?: PerAddressReport;
}

export interface PerAddressReport {
  readonly people: number;
  /** People still without a 201 when their retry window closed. */
  readonly never201: number;
  readonly userIds: number;
  readonly welcomeEmails: number;
  readonly analyticsUsers: number;
  readonly enrolments: number;
  readonly trackedUsers: number;
}

/**
 * Waits until every service has caught up with the signups topic, then compares: the 201s
 * against the topic, and the topic against each service's effects.
 */
export async function check(system: SystemUnderTest, fault: string, load: LoadResult, startedAt: number): Promise<FaultReport> {
  const { config, pool } = system;
  // A request answered 503 may still be delivered afterwards (PRODUCER_DELIVERY_TIMEOUT_MS):
  // the topic is read once nothing is left in the API producers' queues.
  await Promise.all(system.apis.map((a) => a.flush(config.kafka.deliveryTimeoutMs + 10_000)));
  const signups = await readTopic(config.kafka, config.topics.signups.name, { readCommitted: false });
  const usersOnTopic = new Set(signups.map((r) => r.key!));
  const emailsOnTopic = new Set(load.created.map((c) => c.email)); // only ours reach this topic
  const analytics = new AnalyticsStore(pool, config.analytics.dbSchema);
  const q = async (sql: string, params: unknown[] = []) => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);
  const users = [...usersOnTopic];
  await eventually(
    async () =>
      (await analytics.counts()).total === usersOnTopic.size &&
      (await q(`SELECT count(*) AS n FROM welcome_emails WHERE user_id = ANY($1) AND status = 'sent'`, [users])) === usersOnTopic.size &&
      (await q('SELECT count(*) AS n FROM onboarding_state WHERE user_id = ANY($1)', [users])) === usersOnTopic.size,
    async () =>
      `analytics ${(await analytics.counts()).total}, emails ${await q(`SELECT count(*) AS n FROM welcome_emails WHERE user_id = ANY($1) AND status = 'sent'`, [users])}, ` +
      `onboarding ${await q('SELECT count(*) AS n FROM onboarding_state WHERE user_id = ANY($1)', [users])} of ${usersOnTopic.size} users on the topic`,
    120_000,
  );
  const counted = await q(`SELECT count(*) AS n FROM ${config.analytics.dbSchema}.counted_users`);
  const total = (await analytics.counts()).total;
  const enrolments = await readTopic(config.kafka, config.topics.onboarding.name, { readCommitted: true });
  const perUser = new Map<string, number>();
  for (const e of enrolments) perUser.set(e.key!, (perUser.get(e.key!) ?? 0) + 1);
  const mail = receivedMail(system.startedAt, emailsOnTopic.size > 0 ? new Set([...emailsOnTopic]) : undefined);
  const messageIds = new Map<string, Set<string>>();
  for (const m of mail) messageIds.set(m.to, (messageIds.get(m.to) ?? new Set()).add(m.messageId));
  let deadLettered = 0;
  for (const group of Object.values(consumerGroups(config))) {
    deadLettered += (await readTopic(config.kafka, deadLetterTopic(group), { readCommitted: false, emptyOk: true })).length;
  }
  const perAddress = 'people' in load ? await countPerAddress(system, load as ClientLoadResult, mail, perUser) : undefined;
  const logs = system.logs();
  const rawEmailsInLogs = load.created.filter((c) => logs.includes(c.email)).length;
  const statuses = { ...load.statuses };
  const created = statuses['201'] ?? 0;
  const unavailable = statuses['503'] ?? 0;
  delete statuses['201'];
  delete statuses['503'];
  const report: FaultReport = {
    fault,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    requests: load.requests,
    created,
    unavailable,
    otherStatuses: statuses,
    timeouts: load.timeouts,
    max503LatencyMs: load.max503LatencyMs,
    eventsFound: signups.length,
    lost: load.created.filter((c) => !usersOnTopic.has(c.userId)).length,
    doubleCounted: Math.max(0, total - usersOnTopic.size) + Math.abs(total - counted),
    secondEmails: [...messageIds.values()].filter((ids) => ids.size > 1).length,
    smtpRedeliveries: mail.length - messageIds.size,
    duplicateEnrolments: [...perUser.values()].filter((n) => n > 1).length,
    deadLettered,
    rawEmailsInLogs,
    ...('clientAborts' in load ? { clientAborts: (load as ClientLoadResult).clientAborts } : {}),
    ...(perAddress ? { perAddress } : {}),
  };
  const dir = join(root, 'test-output', 'faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${fault.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`fault report: ${JSON.stringify(report)}`);
  return report;
}

/** For each person of a client-behaviour load: user ids, welcome emails, analytics users, enrolments and tracked users, each expected to be exactly 1. */
async function countPerAddress(
  system: SystemUnderTest,
  load: ClientLoadResult,
  mail: ReadonlyArray<{ readonly to: string }>,
  enrolmentsPerUser: ReadonlyMap<string, number>,
): Promise<PerAddressReport> {
  const { pool, config } = system;
  const ids = load.people.flatMap((p) => [...p.userIds]);
  const rows = async (sql: string) => new Set((await pool.query<{ user_id: string }>(sql, [ids])).rows.map((r) => r.user_id));
  const counted = await rows(`SELECT user_id FROM ${config.analytics.dbSchema}.counted_users WHERE user_id = ANY($1)`);
  const tracked = await rows('SELECT user_id FROM onboarding_state WHERE user_id = ANY($1)');
  const mailsTo = new Map<string, number>();
  for (const m of mail) mailsTo.set(m.to, (mailsTo.get(m.to) ?? 0) + 1);
  const notOne = (count: (p: (typeof load.people)[number]) => number) => load.people.filter((p) => count(p) !== 1).length;
  const sum = (p: (typeof load.people)[number], f: (id: string) => number) => [...p.userIds].reduce((n, id) => n + f(id), 0);
  return {
    people: load.people.length,
    never201: load.people.filter((p) => p.gaveUp || p.userIds.size === 0).length,
    userIds: notOne((p) => p.userIds.size),
    welcomeEmails: notOne((p) => mailsTo.get(p.email) ?? 0),
    analyticsUsers: notOne((p) => sum(p, (id) => (counted.has(id) ? 1 : 0))),
    enrolments: notOne((p) => sum(p, (id) => enrolmentsPerUser.get(id) ?? 0)),
    trackedUsers: notOne((p) => sum(p, (id) => (tracked.has(id) ? 1 : 0))),
  };
}

/** The broker that leads partition 0 of the signups topic now. */
export async function leaderOfPartition0(system: SystemUnderTest): Promise<1 | 2 | 3> {
  const admin = system.api.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchTopicMetadata({ topics: [system.config.topics.signups.name] });
    return topic!.partitions.find((p) => p.partitionId === 0)!.leader as 1 | 2 | 3;
  } finally {
    await admin.disconnect();
  }
}
