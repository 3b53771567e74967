// Entry point: `node dist/cli/api.js` (npm run api). Exits 0 after a graceful shutdown on
// SIGTERM/SIGINT, 1 if shutdown overran SHUTDOWN_TIMEOUT_MS (killed 2 s later if its main
// thread is blocked, see shutdown.ts), 2 on bad configuration.
import { startApi, type RunningApi } from '../api/server.js';
import { userIdSecretOf } from '../config.js';
import { createLogger } from '../logger.js';
import { loadConfigOrExit } from './load-config.js';
import { onShutdown } from './shutdown.js';

const config = loadConfigOrExit(userIdSecretOf);
const logger = createLogger(config.logLevel, 'api');
let api: RunningApi | undefined;

onShutdown({ timeoutMs: config.shutdownTimeoutMs, logger, name: 'api', describe: 'draining requests and flushing the producer' }, async () => {
  await api?.stop();
  logger.info('stopped');
});

api = await startApi(config, logger);
