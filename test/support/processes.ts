// Runs the compiled entry points as real child processes, configured for a test's config.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Config } from '../../src/config.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles src/ so that the processes under test run the code under test. */
export async function buildDist(): Promise<void> {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, timeout: 120_000 });
}

export function envFor(config: Config): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: config.registry.url,
    DATABASE_URL: config.database.url,
    SIGNUP_TOPIC: config.topics.signups.name,
    ONBOARDING_TOPIC: config.topics.onboarding.name,
    CONSUMER_GROUP_PREFIX: config.consumers.groupPrefix,
    ANALYTICS_DB_SCHEMA: config.analytics.dbSchema,
    SMTP_URL: config.mail.smtpUrl,
    LOG_LEVEL: 'info',
    SERVICE_HTTP_PORT: '0',
    API_RATE_LIMIT_MAX: String(config.api.rateLimit?.max ?? 0),
    PRODUCE_TIMEOUT_MS: String(config.kafka.produceTimeoutMs),
    CONSUMER_MAX_ATTEMPTS: String(config.consumers.retry.maxAttempts),
    CONSUMER_INITIAL_BACKOFF_MS: String(config.consumers.retry.initialBackoffMs),
    CONSUMER_MAX_BACKOFF_MS: String(config.consumers.retry.maxBackoffMs),
    CONSUMER_SESSION_TIMEOUT_MS: String(config.consumers.sessionTimeoutMs),
  };
}

export interface ChildUnderTest {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnConsumer(name: string, config: Config): ChildUnderTest {
  const child = spawn(process.execPath, ['dist/cli/consumer.js', name], { cwd: root, env: envFor(config), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
