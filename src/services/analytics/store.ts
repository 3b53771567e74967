// Analytics tables: signup counts (total, per hour, per day, per email domain) and the
// consumed offsets, written in one statement (so one transaction) per polled batch. Because
// the offsets live with the counts, a crash can never count a record whose offset was not
// saved, nor save an offset whose record was not counted; and each user is counted once
// (counted_users), so duplicated events (idempotent retries) never count twice either. The users onboarding has
// started (onboarding_started) are kept the same way, from the enrolment topic.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate, type Migrations } from '../../db/migrations.js';
import { asDependencyErrors, inTransaction, type Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';

export interface SignupFacts {
  readonly userId: string;
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly emailDomain: string;
}

export interface Position {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read. */
  readonly nextOffset: string;
}

function positionParameters(position: Position): unknown[] {
  return [position.groupId, position.topic, position.partition, position.nextOffset];
}

export interface SignupCounts {
  readonly total: number;
  readonly byDay: Record<string, number>;
  readonly byHour: Record<string, number>;
  readonly byDomain: Record<string, number>;
}

/** librdkafka's logical offset for "the beginning of the partition". */
export const OFFSET_BEGINNING = '-2';

/** The analytics tables of one schema, with that schema's own migration history. */
export function analyticsMigrations(schema: string): Migrations {
  return { dir: fileURLToPath(new URL('./migrations', import.meta.url)), schema, table: 'analytics_migrations' };
}

export class AnalyticsStore {
  private readonly s: string;

  /** `schema` is a PostgreSQL schema name, so that several independent instances can share a database. */
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.s = pg.escapeIdentifier(schema);
  }

  /** Brings this schema's tables up to date (src/services/analytics/migrations/), creating the schema if needed. */
  async init(logger?: Logger): Promise<void> {
    await migrate(this.pool, analyticsMigrations(this.schema), logger);
  }

  /**
   * Counts a batch of one partition's signups (users already counted are skipped) and saves
   * the partition's position, in one statement whatever the batch size: PostgreSQL applies
   * a statement whole or not at all, so it needs no BEGIN and COMMIT, each a round trip to
   * the database (at low rates, when batches hold a record or two, those round trips were
   * most of the service's CPU). Returns the users of the batch that were counted before (the
   * others were counted now): usually none, so no rows come back to be parsed.
   */
  async recordBatch(signups: readonly SignupFacts[], position: Position): Promise<Set<string>> {
    const s = this.s;
    // The aggregates are computed from the rows actually inserted (RETURNING), so a user seen
    // before, or twice in this batch, adds nothing. Upserts run in key order: two instances
    // updating the same hours and domains then lock them in the same order.
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ user_id: string }>(
        `WITH batch AS (
           SELECT user_id, event_id, timestamptz 'epoch' + occurred_ms * interval '1 millisecond' AS occurred_at, email_domain
             FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[]) AS b(user_id, event_id, occurred_ms, email_domain)),
         new AS (
           INSERT INTO ${s}.counted_users (user_id, event_id, occurred_at, email_domain, counted_at)
           SELECT user_id, event_id, occurred_at, email_domain, clock_timestamp() FROM batch
           ON CONFLICT (user_id) DO NOTHING
           RETURNING user_id, occurred_at, email_domain),
         totals AS (
           INSERT INTO ${s}.signup_totals (singleton, signups) SELECT true, count(*) FROM new HAVING count(*) > 0
           ON CONFLICT (singleton) DO UPDATE SET signups = ${s}.signup_totals.signups + excluded.signups),
         hourly AS (
           INSERT INTO ${s}.signups_hourly (hour, signups)
           SELECT date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*) FROM new GROUP BY 1 ORDER BY 1
           ON CONFLICT (hour) DO UPDATE SET signups = ${s}.signups_hourly.signups + excluded.signups),
         daily AS (
           INSERT INTO ${s}.signups_daily (day, signups)
           SELECT (occurred_at AT TIME ZONE 'UTC')::date, count(*) FROM new GROUP BY 1 ORDER BY 1
           ON CONFLICT (day) DO UPDATE SET signups = ${s}.signups_daily.signups + excluded.signups),
         domains AS (
           INSERT INTO ${s}.signups_by_domain (domain, signups)
           SELECT email_domain, count(*) FROM new GROUP BY 1 ORDER BY 1
           ON CONFLICT (domain) DO UPDATE SET signups = ${s}.signups_by_domain.signups + excluded.signups),
         ${this.savePosition(5)}
         SELECT user_id FROM batch EXCEPT SELECT user_id FROM new`,
        [
          signups.map((f) => f.userId),
          signups.map((f) => f.eventId),
          // Milliseconds since the epoch: the driver formats an array of Dates at about twice the CPU (0.45-0.54 against 0.23-0.30 µs a row).
          signups.map((f) => f.occurredAt.getTime()),
          signups.map((f) => f.emailDomain),
          ...positionParameters(position),
        ],
      ),
    );
    return new Set(rows.map((row) => row.user_id));
  }

  /** Records which users onboarding has started (repeats change nothing) and saves the enrolment partition's position, in one statement. */
  async recordOnboardingStarted(userIds: readonly string[], position: Position): Promise<void> {
    await asDependencyErrors(() =>
      this.pool.query(
        `WITH started AS (
           INSERT INTO ${this.s}.onboarding_started (user_id) SELECT DISTINCT unnest($1::uuid[]) ORDER BY 1 ON CONFLICT (user_id) DO NOTHING),
         ${this.savePosition(2)}
         SELECT 1`,
        [userIds, ...positionParameters(position)],
      ),
    );
  }

  /** The position's upsert, as a clause of a WITH, its values the statement's parameters from `$first` on (positionParameters). */
  private savePosition(first: number): string {
    const [group, topic, partition, offset] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
    return `saved AS (
           INSERT INTO ${this.s}.consumer_offsets (group_id, topic, partition, next_offset) VALUES (${group}, ${topic}, ${partition}, ${offset})
           ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset)`;
  }

  /** Where to resume each partition: the saved position, or the beginning when there is none. */
  async positions(groupId: string, topic: string, partitions: readonly number[]): Promise<Map<number, string>> {
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ partition: number; next_offset: string }>(
        `SELECT partition, next_offset FROM ${this.s}.consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = ANY($3)`,
        [groupId, topic, partitions],
      ),
    );
    const saved = new Map(rows.map((r) => [r.partition, String(r.next_offset)]));
    return new Map(partitions.map((p) => [p, saved.get(p) ?? OFFSET_BEGINNING]));
  }

  async counts(): Promise<SignupCounts> {
    const s = this.s;
    return asDependencyErrors(async () => {
      const [total, byDay, byHour, byDomain] = await Promise.all([
        this.pool.query<{ signups: string }>(`SELECT signups FROM ${s}.signup_totals`),
        this.pool.query<{ key: string; signups: string }>(`SELECT to_char(day, 'YYYY-MM-DD') AS key, signups FROM ${s}.signups_daily`),
        this.pool.query<{ key: string; signups: string }>(
          `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":00Z"') AS key, signups FROM ${s}.signups_hourly`,
        ),
        this.pool.query<{ key: string; signups: string }>(`SELECT domain AS key, signups FROM ${s}.signups_by_domain`),
      ]);
      const toRecord = (rows: Array<{ key: string; signups: string }>) => Object.fromEntries(rows.map((r) => [r.key, Number(r.signups)]));
      return {
        total: Number(total.rows[0]?.signups ?? 0),
        byDay: toRecord(byDay.rows),
        byHour: toRecord(byHour.rows),
        byDomain: toRecord(byDomain.rows),
      };
    });
  }

  /** Signups per minute over the last `minutes` minutes (UTC minute → count), oldest first. */
  async signupsPerMinute(minutes: number): Promise<Array<{ minute: string; signups: number }>> {
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ minute: string; signups: string }>(
        `SELECT to_char(date_trunc('minute', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI"Z"') AS minute, count(*) AS signups
           FROM ${this.s}.counted_users
          WHERE occurred_at > now() - make_interval(mins => $1)
          GROUP BY 1 ORDER BY 1`,
        [minutes],
      ),
    );
    return rows.map((r) => ({ minute: r.minute, signups: Number(r.signups) }));
  }

  /** Of the users counted here, how many onboarding has started (an enrolment was committed for them). */
  async onboardingStarted(): Promise<number> {
    const { rows } = await asDependencyErrors(() =>
      this.pool.query<{ started: string }>(
        `SELECT count(*) AS started FROM ${this.s}.counted_users c
          WHERE EXISTS (SELECT 1 FROM ${this.s}.onboarding_started o WHERE o.user_id = c.user_id)`,
      ),
    );
    return Number(rows[0]?.started ?? 0);
  }

  /**
   * Empties every table, positions included, so that the service counts again from the
   * beginning. `meanwhile` runs while the tables are locked and the emptying is not yet
   * committed: if it throws (an instance joined after all), nothing was cleared. An
   * instance that starts meanwhile waits on the lock to read its positions.
   */
  async clear(meanwhile: () => Promise<void> = async () => undefined): Promise<void> {
    const s = this.s;
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `TRUNCATE ${s}.counted_users, ${s}.signup_totals, ${s}.signups_hourly, ${s}.signups_daily, ${s}.signups_by_domain, ${s}.onboarding_started, ${s}.consumer_offsets`,
      );
      await meanwhile();
    });
  }
}
