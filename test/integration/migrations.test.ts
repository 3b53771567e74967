// Each service's SQL migrations against the real PostgreSQL, each in a schema of the test's
// own: a fresh schema gets every table; one set up by the DDL the services ran before
// migrations existed keeps its tables and rows and only gains what is new; a second run
// applies nothing; and instances starting together all succeed, applying each migration once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Migrations } from '../../src/db/migrations.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { analyticsMigrations, AnalyticsStore } from '../../src/services/analytics/store.js';
import { emailMigrations } from '../../src/services/email/ledger.js';
import { onboardingTrackerMigrations } from '../../src/services/onboarding/tracker-store.js';
import { stackConfig } from '../support/stack-env.js';

const ANALYTICS = ['0001_signup_counts', '0002_counted_at', '0003_onboarding_started', '0004_occurred_at_brin'];

// What the services created at start-up before migrations existed (the DDL strings they held).
const legacyDdl = {
  email: `CREATE TABLE IF NOT EXISTS welcome_emails (
    user_id uuid PRIMARY KEY, event_id uuid NOT NULL, message_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('sending', 'sent')), attempts integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)`,
  tracker: `CREATE TABLE IF NOT EXISTS onboarding_state (
    user_id uuid PRIMARY KEY, enrolment_id uuid NOT NULL, source_event_id uuid NOT NULL, plan text NOT NULL,
    steps jsonb NOT NULL, state text NOT NULL CHECK (state IN ('started', 'completed')),
    registered_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
  analytics: (s: string, withCountedAt: boolean) => `CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.counted_users (
      user_id uuid PRIMARY KEY, event_id uuid NOT NULL, occurred_at timestamptz NOT NULL, email_domain text NOT NULL);
    CREATE INDEX IF NOT EXISTS counted_users_occurred_at ON ${s}.counted_users (occurred_at);
    ${withCountedAt ? `ALTER TABLE ${s}.counted_users ADD COLUMN IF NOT EXISTS counted_at timestamptz NOT NULL DEFAULT now();` : ''}
    CREATE TABLE IF NOT EXISTS ${s}.signup_totals (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), signups bigint NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.signups_hourly (hour timestamptz PRIMARY KEY, signups bigint NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.signups_daily (day date PRIMARY KEY, signups bigint NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.signups_by_domain (domain text PRIMARY KEY, signups bigint NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.consumer_offsets (
      group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL,
      PRIMARY KEY (group_id, topic, partition));`,
};

let pool: Pool;
const schemas: string[] = [];

/** A schema name of this test's own, dropped at the end. */
function testSchema(): string {
  const schema = `migrations_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  schemas.push(schema);
  return schema;
}

/** A service's migrations, pointed at a schema of the test's own instead of its real one. */
const inSchema = (migrations: Migrations, schema: string): Migrations => ({ ...migrations, schema });

/** The access method of each index on the table's occurred_at (btree, brin, …). */
async function occurredAtIndexes(schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ method: string }>(
    `SELECT am.amname AS method FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1::regclass AND a.attname = 'occurred_at'`,
    [`${schema}.counted_users`],
  );
  return rows.map((r) => r.method);
}

async function columns(schema: string, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return rows.map((r) => r.column_name);
}

beforeAll(() => {
  pool = createPool(stackConfig().database.url);
});

afterAll(async () => {
  for (const schema of schemas) await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool?.end();
});

describe('service migrations', () => {
  it('create every table in a fresh schema, and apply nothing the second time', async () => {
    const schema = testSchema();
    expect(await migrate(pool, analyticsMigrations(schema))).toEqual(ANALYTICS);
    expect(await columns(schema, 'counted_users')).toEqual(['user_id', 'event_id', 'occurred_at', 'email_domain', 'counted_at']);
    expect(await occurredAtIndexes(schema)).toEqual(['brin']);
    expect(await columns(schema, 'onboarding_started')).toEqual(['user_id']);
    expect(await migrate(pool, inSchema(emailMigrations, schema))).toEqual(['0001_welcome_emails']);
    expect(await migrate(pool, inSchema(onboardingTrackerMigrations, schema))).toEqual(['0001_onboarding_state']);
    expect(await columns(schema, 'welcome_emails')).toContain('sent_at');
    expect(await columns(schema, 'onboarding_state')).toContain('recorded_at');

    // Each service keeps its own history: none blocks or sees another's.
    for (const table of ['analytics_migrations', 'email_migrations', 'onboarding_tracker_migrations']) {
      expect((await columns(schema, table)).length).toBeGreaterThan(0);
    }
    const before = await pool.query(`SELECT name, run_on FROM ${schema}.analytics_migrations ORDER BY id`);
    expect(await migrate(pool, analyticsMigrations(schema))).toEqual([]);
    expect(await migrate(pool, inSchema(emailMigrations, schema))).toEqual([]);
    expect(await migrate(pool, inSchema(onboardingTrackerMigrations, schema))).toEqual([]);
    expect((await pool.query(`SELECT name, run_on FROM ${schema}.analytics_migrations ORDER BY id`)).rows).toEqual(before.rows);
  });

  it('upgrade a database the services set up before migrations: tables and rows untouched, only what is new added', async () => {
    const schema = testSchema();
    await pool.query(legacyDdl.analytics(schema, true));
    const userId = randomUUID();
    const client = await pool.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      await client.query(`${legacyDdl.email}; ${legacyDdl.tracker}`);
      await client.query(`INSERT INTO welcome_emails (user_id, event_id, message_id, status) VALUES ($1, $1, 'm', 'sent')`, [userId]);
      await client.query(
        `INSERT INTO onboarding_state (user_id, enrolment_id, source_event_id, plan, steps, state, registered_at) VALUES ($1, $1, $1, 'free', '[]', 'started', now())`,
        [userId],
      );
    } finally {
      client.release(true);
    }
    const store = new AnalyticsStore(pool, schema);
    await store.recordBatch([{ userId, eventId: randomUUID(), occurredAt: new Date('2026-01-02T03:04:05Z'), emailDomain: 'example.com' }], {
      groupId: 'g',
      topic: 't',
      partition: 0,
      nextOffset: '1',
    });
    const countedAt = (await pool.query(`SELECT counted_at FROM ${schema}.counted_users`)).rows;

    expect(await migrate(pool, analyticsMigrations(schema))).toEqual(ANALYTICS);
    expect(await migrate(pool, inSchema(emailMigrations, schema))).toEqual(['0001_welcome_emails']);
    expect(await migrate(pool, inSchema(onboardingTrackerMigrations, schema))).toEqual(['0001_onboarding_state']);

    expect((await store.counts()).total).toBe(1);
    expect((await pool.query(`SELECT counted_at FROM ${schema}.counted_users`)).rows).toEqual(countedAt);
    // The B-tree the services created on occurred_at is replaced by the BRIN index, which the
    // dashboard's per-minute counts can read through.
    expect(await occurredAtIndexes(schema)).toEqual(['brin']);
    const now = new Date();
    await store.recordBatch([{ userId: randomUUID(), eventId: randomUUID(), occurredAt: now, emailDomain: 'example.com' }], { groupId: 'recent', topic: 't', partition: 0, nextOffset: '1' });
    expect(await store.signupsPerMinute(60)).toEqual([{ minute: `${now.toISOString().slice(0, 16)}Z`, signups: 1 }]);
    const planner = await pool.connect();
    try {
      await planner.query('SET enable_seqscan = off');
      const { rows: plan } = await planner.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT count(*) FROM ${schema}.counted_users WHERE occurred_at > now() - interval '1 hour'`);
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('counted_users_occurred_at_brin');
    } finally {
      planner.release(true);
    }
    expect(await store.positions('g', 't', [0])).toEqual(new Map([[0, '1']]));
    expect((await pool.query(`SELECT status FROM ${schema}.welcome_emails WHERE user_id = $1`, [userId])).rows).toEqual([{ status: 'sent' }]);
    expect((await pool.query(`SELECT state FROM ${schema}.onboarding_state WHERE user_id = $1`, [userId])).rows).toEqual([{ state: 'started' }]);
    // The new table works on the upgraded schema.
    await store.recordOnboardingStarted([userId], { groupId: 'g', topic: 'enrolments', partition: 0, nextOffset: '1' });
    expect(await store.onboardingStarted()).toBe(1);
  });

  it('add counted_at to analytics tables set up before it existed, filling the rows already counted', async () => {
    const schema = testSchema();
    await pool.query(legacyDdl.analytics(schema, false));
    await pool.query(`INSERT INTO ${schema}.counted_users (user_id, event_id, occurred_at, email_domain) VALUES ($1, $1, now(), 'example.com')`, [randomUUID()]);
    expect(await migrate(pool, analyticsMigrations(schema))).toEqual(ANALYTICS);
    const { rows } = await pool.query<{ counted_at: Date | null }>(`SELECT counted_at FROM ${schema}.counted_users`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.counted_at).toBeInstanceOf(Date);
  });

  it('let instances that start together all succeed, applying each migration once', async () => {
    const schema = testSchema();
    const pools = [createPool(stackConfig().database.url), createPool(stackConfig().database.url), createPool(stackConfig().database.url)];
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, analyticsMigrations(schema))));
      expect(results.flat().sort()).toEqual(ANALYTICS);
      expect(results.filter((applied) => applied.length === 0)).toHaveLength(pools.length - 1);
      const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${schema}.analytics_migrations ORDER BY id`);
      expect(rows.map((r) => r.name)).toEqual(ANALYTICS);
    } finally {
      for (const p of pools) await p.end();
    }
  });
});
