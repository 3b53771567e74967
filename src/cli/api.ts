// Entry point: `node dist/cli/api.js` (npm run api). Exits 0 after a graceful shutdown on
// SIGTERM/SIGINT, 1 if shutdown overran SHUTDOWN_TIMEOUT_MS, 2 on bad configuration.
import closeWithGrace from 'close-with-grace';
import { startApi, type RunningApi } from '../api/server.js';
import { userIdSecretOf } from '../config.js';
import { createLogger } from '../logger.js';
import { loadConfigOrExit } from './load-config.js';

const config = loadConfigOrExit(userIdSecretOf);
const logger = createLogger(config.logLevel, 'api');
let api: RunningApi | undefined;

// Installed before anything starts: a signal during start-up still shuts down cleanly.
closeWithGrace({ delay: config.shutdownTimeoutMs, logger: { error: (m: unknown) => logger.error(m) } }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'fatal error; shutting down');
  logger.info({ signal }, 'shutting down: draining requests and flushing the producer');
  await api?.stop();
  logger.info('stopped');
  logger.flush();
});

api = await startApi(config, logger);
