// Versioned SQL migrations (node-pg-migrate). Each service owns its tables: its .sql files
// sit in a migrations/ folder next to its store, and its history is its own table, so
// one service's migrations never wait for or block another's. Instances starting together
// queue on an advisory lock of that history; the later ones find nothing left to do.
import { createHash } from 'node:crypto';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger.js';
import type { Pool } from './pool.js';

export interface Migrations {
  /** Folder of NNNN_<name>.sql files, applied in order, each once. */
  readonly dir: string;
  /** The PostgreSQL schema the tables (and the history) live in. */
  readonly schema: string;
  /** The table recording which of these migrations ran. */
  readonly table: string;
}

/** Brings the tables up to date; returns the names of the migrations applied now. */
export async function migrate(pool: Pool, migrations: Migrations, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    // A connection of its own, without the pool's query timeout: waiting for another
    // instance's migrations, or a long one, is not a failure. It is closed afterwards, so
    // the search_path the runner sets never reaches the pool.
    databaseUrl: { ...pool.options, query_timeout: 0 },
    dir: migrations.dir,
    schema: migrations.schema,
    createSchema: true,
    migrationsTable: migrations.table,
    direction: 'up',
    // All pending migrations in one transaction: a failure leaves the previous version whole.
    singleTransaction: true,
    advisoryLockMode: 'wait',
    lockValue: lockKey(`${migrations.schema}.${migrations.table}`),
    logger: {
      info: (message) => logger?.debug(message),
      warn: (message) => logger?.warn(message),
      error: (message) => logger?.error(message),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) logger?.info({ schema: migrations.schema, migrations: names }, 'database migrations applied');
  return names;
}

/** A stable advisory-lock key per history, within JavaScript's exact integers. */
function lockKey(history: string): number {
  return createHash('sha256').update(history).digest().readUIntBE(0, 6);
}
