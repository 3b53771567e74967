// The app's SASL settings against a real broker: the local stack's SASL/SCRAM-SHA-512
// listener. A signup goes through the API with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT;
// a wrong password is refused by the broker within a bounded wait.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createKafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { withTimeout } from '../support/kafka.js';
import { stackConfig, stackEnv } from '../support/stack-env.js';
import { readTopic } from '../support/topics.js';

const env = stackEnv();
const sasl = (password: string) => ({
  KAFKA_BROKERS: env.STACK_KAFKA_SASL_BROKERS ?? '',
  KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: env.STACK_KAFKA_SASL_USERNAME ?? '',
  KAFKA_SASL_PASSWORD: password,
});

let config: Config;
let api: ApiUnderTest;

beforeAll(async () => {
  if (!env.STACK_KAFKA_SASL_BROKERS) throw new Error('.stack/env names no SASL listener: run scripts/stack up');
  config = await isolatedConfig(sasl(env.STACK_KAFKA_SASL_PASSWORD!));
  api = await startApiUnderTest(config);
});

afterAll(async () => {
  await api?.stop();
});

describe('Kafka over SASL/SCRAM', () => {
  it('publishes a signup through the authenticated listener', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/signup', headers: { 'content-type': 'application/json' }, payload: { email: 'sasl@example.com', username: 'sasl_user' } });
    expect(response.statusCode).toBe(201);
    const records = await readTopic(config.kafka, config.topics.signups.name, { readCommitted: false });
    expect(records.map((r) => r.key)).toEqual([response.json<{ userId: string }>().userId]);
  });

  it('is refused with a wrong password, within a bounded wait', async () => {
    const wrong = createKafka(stackConfig(sasl('not-the-password')).kafka, createLogger('silent', 'test'));
    const admin = wrong.admin();
    // librdkafka reports the broker's authentication failure as a failed connection.
    await expect(withTimeout(admin.connect().then(() => admin.listTopics()), 20_000, 'admin with a wrong password')).rejects.toThrow(/auth|SASL|transport/i);
    await admin.disconnect().catch(() => undefined);
  });
});
