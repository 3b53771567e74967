// PostgreSQL access shared by the services: one pool per process, transactions, and the
// translation of "the database cannot serve us now" (down, read-only after
// a failover, timing out, out of resources) into the consumer runtime's
// DependencyUnavailableError (retry until it returns, never dead-letter).
import pg from 'pg';
import { DependencyUnavailableError } from '../kafka/consumer/errors.js';
import { postgresFault } from '../kafka/consumer/failure-classification.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(url: string): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    // Bounded waits: a database that is down fails fast and the runtime retries later.
    connectionTimeoutMillis: 3000,
    query_timeout: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `work` in one transaction; a failure of the database itself becomes
 * DependencyUnavailableError. `settings` hold for this transaction alone (SET LOCAL), set in
 * the same round trip as BEGIN.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, settings: Readonly<Record<string, string>> = {}): Promise<T> {
  return asDependencyErrors(async () => {
    const client = await pool.connect();
    // A checked-out client whose connection drops between two queries emits 'error', which
    // unheard would end the process. The next query fails anyway, and a broken client is
    // discarded rather than returned to the pool.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      // Several statements in one simple query: no parameters there, so each is escaped.
      await client.query(['BEGIN', ...Object.entries(settings).map(([name, value]) => `SET LOCAL ${pg.escapeIdentifier(name)} = ${pg.escapeLiteral(value)}`)].join('; '));
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  });
}

export async function asDependencyErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (postgresFault(error) === 'dependency') {
      throw new DependencyUnavailableError('postgresql', `PostgreSQL unavailable: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}
