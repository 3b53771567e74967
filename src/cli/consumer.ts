// Entry point of one consumer service: `node dist/cli/consumer.js <service>`
// (npm run consumer -- email). SIGTERM/SIGINT: finish the record in hand, commit, leave
// the group, exit 0 within SHUTDOWN_TIMEOUT_MS.
import closeWithGrace from 'close-with-grace';
import { createLogger } from '../logger.js';
import { SERVICE_NAMES, startService, type ServiceName } from '../services/start-service.js';
import { loadConfigOrExit } from './load-config.js';

const name = process.argv[2];
if (!SERVICE_NAMES.includes(name as ServiceName)) {
  process.stderr.write(`usage: consumer <${SERVICE_NAMES.join('|')}>\n`);
  process.exit(2);
}

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, name!);
const service = await startService(name as ServiceName, config, logger);

closeWithGrace({ delay: config.shutdownTimeoutMs, logger: { error: (m: unknown) => logger.error(m) } }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'fatal error; shutting down');
  logger.info({ signal }, 'shutting down: finishing the record in hand, committing, leaving the group');
  await service.stop();
  logger.flush();
});
