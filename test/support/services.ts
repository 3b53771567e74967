// Runs consumer services in the test process, on the test's own topics and groups.
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { ServiceName } from '../../src/services/catalog.js';
import { startService, type RunningService } from '../../src/services/start-service.js';
import { sleep } from './sleep.js';

export interface ServiceUnderTest extends RunningService {
  readonly logLines: string[];
}

export async function startServiceUnderTest(name: ServiceName, config: Config): Promise<ServiceUnderTest> {
  const logLines: string[] = [];
  const logger = createLogger('info', name, { write: (line: string) => logLines.push(line) });
  const service = await startService(name, config, logger);
  return { ...service, logLines };
}

/**
 * Polls `probe` until it returns true; a probe that throws counts as "not yet" (a table
 * not created yet). Fails with `describe()` and the last error when `timeoutMs` passes.
 */
export async function eventually(probe: () => Promise<boolean> | boolean, describe: () => string | Promise<string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  const state = await Promise.resolve()
    .then(describe)
    .catch((error: unknown) => `(state unavailable: ${(error as Error).message})`);
  throw new Error(`not within ${timeoutMs} ms: ${state}${lastError ? `; last error: ${(lastError as Error).message}` : ''}`);
}
