// The integration tests use the addresses `scripts/stack up` wrote to .stack/env, unless
// the environment already names them (a developer's own Kafka, CI overrides).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.js';

const envFile = fileURLToPath(new URL('../../.stack/env', import.meta.url));

/** Every variable `scripts/stack up` wrote. */
export function stackEnv(): Record<string, string> {
  const fromFile: Record<string, string> = {};
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) fromFile[match[1]!] = match[2]!;
    }
  }
  return fromFile;
}

/** The stack's configuration, with `overrides` (e.g. a test's own topic) on top. */
export function stackConfig(overrides: Record<string, string> = {}): Config {
  const fromFile = stackEnv();
  // No rate limit unless a test asks for one: the suites send many signups from 127.0.0.1.
  return loadConfig({ API_RATE_LIMIT_MAX: '0', ...fromFile, ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...overrides });
}
