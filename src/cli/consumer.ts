// Entry point of one consumer service: `node dist/cli/consumer.js <service>`
// (npm run consumer -- email). SIGTERM/SIGINT: finish the record in hand, commit, leave
// the group, exit 0 within SHUTDOWN_TIMEOUT_MS.
import { createLogger } from '../logger.js';
import { isServiceName, SERVICE_NAMES, serviceDefinition } from '../services/catalog.js';
import { startHealthServer } from '../services/health-server.js';
import { startService, type RunningService } from '../services/start-service.js';
import { loadConfigOrExit } from './load-config.js';
import { onShutdown } from './shutdown.js';

const name = process.argv[2];
if (!isServiceName(name)) {
  process.stderr.write(`usage: consumer <${SERVICE_NAMES.join('|')}>\n`);
  process.exit(2);
}

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, name);
const startedAt = Date.now();
let service: RunningService | undefined;
let health: Awaited<ReturnType<typeof startHealthServer>> | undefined;

onShutdown({ timeoutMs: config.shutdownTimeoutMs, logger, name, describe: 'finishing the record in hand, committing, leaving the group' }, async () => {
  await health?.app.close();
  await service?.stop();
});

service = await startService(name, config, logger);
health = await startHealthServer({
  consumer: service.consumer,
  watched: service.consumers,
  registry: service.metrics,
  logger,
  host: config.serviceHttp.host,
  port: config.serviceHttp.port ?? serviceDefinition(name).httpPort,
  startedAt,
  extraRoutes: service.httpRoutes,
});
logger.info({ url: health.url }, 'health and metrics listening');
