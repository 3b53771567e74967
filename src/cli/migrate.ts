// Entry point of the database migrations: `node dist/cli/migrate.js [service…]` (all
// services when none is named). Each service also applies its own at start-up; running
// them first (scripts/up) makes a failing migration stop the deploy before any service
// starts. Safe to run again, and alongside starting services: each history has its lock.
import { migrate } from '../db/migrations.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';
import { isServiceName, SERVICE_NAMES, serviceDefinition, type ServiceName } from '../services/catalog.js';
import { loadConfigOrExit } from './load-config.js';

const named = process.argv.slice(2);
const unknown = named.filter((name) => !isServiceName(name));
if (unknown.length > 0) {
  process.stderr.write(`migrate: unknown service ${unknown.join(', ')}\nusage: migrate [${SERVICE_NAMES.join('|')}]…\n`);
  process.exit(2);
}

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'migrate');
const pool = createPool(config.database.url);
try {
  for (const service of named.length > 0 ? (named as ServiceName[]) : SERVICE_NAMES) {
    // Onboarding keeps its state in Kafka and owns no tables.
    const migrations = await serviceDefinition(service).migrations?.(config);
    if (!migrations) continue;
    const applied = await migrate(pool, migrations, logger.child({ service }));
    process.stdout.write(`${service}: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
  }
} catch (error) {
  process.stderr.write(`migrate: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
  logger.flush();
}
