// Runs consumer services in the test process, on the test's own topics and groups.
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService, type ServiceName } from '../../src/services/start-service.js';

export interface ServiceUnderTest extends RunningService {
  readonly logLines: string[];
}

export async function startServiceUnderTest(name: ServiceName, config: Config): Promise<ServiceUnderTest> {
  const logLines: string[] = [];
  const logger = createLogger('info', name, { write: (line: string) => logLines.push(line) });
  const service = await startService(name, config, logger);
  return { ...service, logLines };
}

/** Polls `probe` until it returns true; fails with `describe()` when `timeoutMs` passes. */
export async function eventually(probe: () => Promise<boolean> | boolean, describe: () => string | Promise<string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not within ${timeoutMs} ms: ${await describe()}`);
}
