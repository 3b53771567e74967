// Entry point of scripts/register-schemas: registers every schema in schemas/, sets each
// subject's compatibility level and creates the topics. `--dry-run` only checks.
import { eventCatalog, topicCatalog } from '../events/catalog.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../logger.js';
import { createRegistryClient } from '../registry/client.js';
import { IncompatibleSchemaError, registerSchemas } from '../registry/register-schemas.js';
import { loadConfigOrExit } from './load-config.js';
import { exitWithUsage } from './usage.js';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--dry-run');
if (unknown.length > 0) exitWithUsage('usage: register-schemas [--dry-run]\n', args, `unknown argument: ${unknown.join(' ')}`);
const dryRun = args.includes('--dry-run');

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'register-schemas');
const admin = createKafka(config.kafka, logger).admin();
await admin.connect();
try {
  const report = await registerSchemas({
    registry: createRegistryClient(config.registry),
    admin,
    catalog: eventCatalog(config),
    topics: topicCatalog(config),
    dryRun,
  });
  process.stdout.write(`${dryRun ? '[dry run] ' : ''}${report.join(`\n${dryRun ? '[dry run] ' : ''}`)}\n`);
} catch (error) {
  if (error instanceof IncompatibleSchemaError) {
    process.stderr.write(`register-schemas: incompatible schema\n  subject: ${error.subject}\n  level:   ${error.level}\n  file:    ${error.file}\n  reason:  ${error.reason}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`register-schemas failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
} finally {
  await admin.disconnect();
}
