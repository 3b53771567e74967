// Starts the real API (real producer, real registry) on a topic of the test's own, with
// every log line captured for inspection.
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { eventCatalog, topicCatalog } from '../../src/events/catalog.js';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { registerSchemas } from '../../src/registry/register-schemas.js';
import { stackConfig } from './stack-env.js';
import { sleep } from './sleep.js';

export interface ApiUnderTest extends RunningApi {
  readonly config: Config;
  readonly kafka: Kafka;
  readonly logLines: string[];
}

/** A config whose topic is the test's own, registered and created like production's. */
export async function isolatedConfig(overrides: Record<string, string> = {}): Promise<Config> {
  const id = randomUUID();
  const config = stackConfig({
    SIGNUP_TOPIC: `signups-test-${id}`,
    ONBOARDING_TOPIC: `onboarding-test-${id}`,
    CONSUMER_GROUP_PREFIX: `test-${id}.`,
    ANALYTICS_DB_SCHEMA: `analytics_test_${id.replaceAll('-', '').slice(0, 20)}`,
    API_PORT: '0',
    ...overrides,
  });
  await registerCatalog(config);
  return config;
}

/** Registers the schemas and creates the topics (dead-letter topics of its groups included) of `config`, as scripts/register-schemas does. */
export async function registerCatalog(config: Config): Promise<void> {
  const admin = createKafka(config.kafka, createLogger('warn', 'test')).admin();
  await admin.connect();
  try {
    await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  } finally {
    await admin.disconnect();
  }
}

export async function startApiUnderTest(config: Config): Promise<ApiUnderTest> {
  const logLines: string[] = [];
  const logger = createLogger('info', 'api', { write: (line: string) => logLines.push(line) });
  const api = await startApi(config, logger);
  const deadline = Date.now() + 15_000;
  while (api.publisher.schemaId === undefined) {
    if (Date.now() > deadline) throw new Error(`writer schema not resolved: ${api.publisher.schemaProblem}`);
    await sleep(50);
  }
  return { ...api, config, kafka: createKafka(config.kafka, createLogger('warn', 'test')), logLines };
}

const stackScript = fileURLToPath(new URL('../../scripts/stack', import.meta.url));

/** Stops, starts or kills one part of the real local stack. */
export async function stack(action: 'stop' | 'start' | 'kill' | 'freeze' | 'thaw', part: 'kafka' | `kafka-${1 | 2 | 3}` | 'registry' | 'smtp' | 'postgres'): Promise<void> {
  await promisify(execFile)(stackScript, [action, part], { timeout: 180_000 });
}
