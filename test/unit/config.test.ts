import { describe, expect, it } from 'vitest';
import { ConfigError, EnvSchema, environmentOf, hideUrlPassword, loadConfig, userIdSecretOf } from '../../src/config.js';

describe('loadConfig', () => {
  it('defaults to the local stack addresses', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.registry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/signup_pipeline');
    expect(config.logLevel).toBe('info');
  });

  it('splits a broker list and trims a trailing slash from the registry URL', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'k1:9092,k2:9093',
      SCHEMA_REGISTRY_URL: 'https://registry.example:8081/',
    });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(config.registry.url).toBe('https://registry.example:8081');
  });

  it('takes trusted proxies as addresses and CIDR ranges, and names an entry that is neither', () => {
    expect(loadConfig({}).api.trustedProxies).toEqual([]);
    expect(loadConfig({ API_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1,,fd00::/8' }).api.trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.0/8/1', 'true']) {
      expect(() => loadConfig({ API_TRUSTED_PROXIES: bad })).toThrow(/API_TRUSTED_PROXIES: .* is neither an IP address nor a CIDR range/);
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ LOG_LEVEL: '' }).logLevel).toBe('info');
  });

  it('names every bad variable, with what it expected', () => {
    let error: unknown;
    try {
      loadConfig({ KAFKA_BROKERS: 'no-port', SCHEMA_REGISTRY_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^KAFKA_BROKERS="no-port": .*host:port/);
    expect(problems[1]).toMatch(/^SCHEMA_REGISTRY_URL="ftp:\/\/x": /);
    expect(problems[2]).toMatch(/^LOG_LEVEL="loud": .*one of fatal, error/);
    expect((error as Error).message).toContain('Invalid configuration');
  });

  it('never shows a password from a bad URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://app:s3cret@db/x' })).toThrow(/mysql:\/\/app:\*\*\*@db\/x/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://app:s3cret@db/x' })).not.toThrow(/s3cret/);
  });
});

describe('environmentOf', () => {
  // Every variable away from its default, so that a variable left out would show.
  const config = loadConfig({
    KAFKA_BROKERS: 'k1:9093,k2:9093',
    KAFKA_CLIENT_ID: 'other-client',
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'user',
    KAFKA_SASL_PASSWORD: 'password',
    SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7/',
    SCHEMA_REGISTRY_USERNAME: 'registry-user',
    SCHEMA_REGISTRY_PASSWORD: 'registry-password',
    DATABASE_URL: 'postgres://app@db.example:5433/other',
    LOG_LEVEL: 'debug',
    SIGNUP_TOPIC: 'signups-x',
    SIGNUP_TOPIC_PARTITIONS: '3',
    TOPIC_REPLICATION_FACTOR: '3',
    TOPIC_MIN_INSYNC_REPLICAS: '2',
    PRODUCE_TIMEOUT_MS: '3000',
    PRODUCER_DELIVERY_TIMEOUT_MS: '60000',
    PRODUCER_LINGER_MS: '5',
    ONBOARDING_TOPIC: 'onboarding-x',
    CONSUMER_GROUP_PREFIX: 'x.',
    CONSUMER_MAX_ATTEMPTS: '3',
    EVENT_RETENTION_MS: '86400000',
    DLQ_RETENTION_MS: '172800000',
    CONSUMER_GROUP_PROTOCOL: 'classic',
    CONSUMER_SESSION_TIMEOUT_MS: '8000',
    CONSUMER_INITIAL_BACKOFF_MS: '200',
    CONSUMER_MAX_BACKOFF_MS: '2000',
    CONSUMER_MAX_BATCH_SIZE: '50',
    CONSUMER_FETCH_WAIT_MS: '20',
    ANALYTICS_DB_SCHEMA: 'analytics_x',
    SMTP_URL: 'smtps://mail.example:465',
    SMTP_REQUIRE_TLS: 'true',
    SMTP_MAX_CONNECTIONS: '4',
    MAIL_FROM: 'X <x@example.com>',
    INSTANCE_ID: 'onboarding-1',
    SERVICE_HTTP_PORT: '9200',
    USER_ID_SECRET: 'k'.repeat(32),
    API_HOST: '0.0.0.0',
    API_PORT: '3100',
    API_BODY_LIMIT_BYTES: '8192',
    API_RATE_LIMIT_MAX: '10',
    API_RATE_LIMIT_WINDOW_MS: '30000',
    SHUTDOWN_TIMEOUT_MS: '5000',
  });

  it('sets every variable of the schema', () => {
    expect(Object.keys(environmentOf(config)).sort()).toEqual(Object.keys(EnvSchema.properties).sort());
  });

  it('loads back into the same config, set or defaulted', () => {
    expect(loadConfig(environmentOf(config))).toEqual(config);
    expect(loadConfig(environmentOf(loadConfig({})))).toEqual(loadConfig({}));
  });
});

describe('CONSUMER_GROUP_PROTOCOL', () => {
  it("is Kafka 4's consumer protocol unless told otherwise, with the session timeout left to the broker", () => {
    expect(loadConfig({}).consumers.group).toEqual({ protocol: 'consumer' });
    expect(loadConfig({ CONSUMER_GROUP_PROTOCOL: 'classic' }).consumers.group).toEqual({ protocol: 'classic', sessionTimeoutMs: 30_000 });
    expect(loadConfig({ CONSUMER_GROUP_PROTOCOL: 'classic', CONSUMER_SESSION_TIMEOUT_MS: '8000' }).consumers.group).toEqual({ protocol: 'classic', sessionTimeoutMs: 8000 });
  });

  it('refuses a session timeout the consumer protocol would ignore, and says where it is set instead', () => {
    expect(() => loadConfig({ CONSUMER_SESSION_TIMEOUT_MS: '8000' })).toThrow(/CONSUMER_SESSION_TIMEOUT_MS: set, but CONSUMER_GROUP_PROTOCOL=consumer .*consumer\.session\.timeout\.ms/);
    expect(() => loadConfig({ CONSUMER_GROUP_PROTOCOL: 'cooperative' })).toThrow(/CONSUMER_GROUP_PROTOCOL="cooperative"/);
  });
});

describe('SMTP_MAX_CONNECTIONS', () => {
  it('pools 32 connections unless told otherwise, and takes a number from 1 to 256', () => {
    expect(loadConfig({}).mail.maxConnections).toBe(32);
    expect(loadConfig({ SMTP_MAX_CONNECTIONS: '1' }).mail.maxConnections).toBe(1);
    for (const bad of ['0', '257', 'many']) {
      expect(() => loadConfig({ SMTP_MAX_CONNECTIONS: bad })).toThrow(/SMTP_MAX_CONNECTIONS=.*pooled connections/);
    }
  });
});

describe('USER_ID_SECRET', () => {
  it('is required by the API, with no made-up default', () => {
    expect(() => userIdSecretOf(loadConfig({}))).toThrow(ConfigError);
    expect(() => userIdSecretOf(loadConfig({}))).toThrow(/USER_ID_SECRET: required by the API/);
    expect(userIdSecretOf(loadConfig({ USER_ID_SECRET: 'k'.repeat(32) }))).toBe('k'.repeat(32));
  });

  it('must be long enough to be a key, and is never shown', () => {
    expect(() => loadConfig({ USER_ID_SECRET: 'too-short-secret' })).toThrow(/USER_ID_SECRET="\*\*\*": .*at least 32 characters/);
    expect(() => loadConfig({ USER_ID_SECRET: 'too-short-secret' })).not.toThrow(/too-short-secret/);
  });
});

describe('hideUrlPassword', () => {
  it('masks the password and keeps the rest', () => {
    expect(hideUrlPassword('postgres://u:p@h:5432/d')).toBe('postgres://u:***@h:5432/d');
    expect(hideUrlPassword('postgres://u@h/d')).toBe('postgres://u@h/d');
  });
});

describe('EVENT_RETENTION_MS', () => {
  it('keeps the event topics for ever unless told otherwise: replays start at the beginning', async () => {
    const { eventCatalog } = await import('../../src/events/catalog.js');
    expect(eventCatalog(loadConfig({})).map((c) => c.topic.config['retention.ms'])).toEqual(['-1', '-1']);
    expect(eventCatalog(loadConfig({ EVENT_RETENTION_MS: '31536000000' })).every((c) => c.topic.config['retention.ms'] === '31536000000')).toBe(true);
  });
});

describe('DLQ_RETENTION_MS', () => {
  it('keeps dead letters until deleted unless told otherwise, and applies to every dead-letter topic', async () => {
    const { topicCatalog } = await import('../../src/events/catalog.js');
    const dlqs = (config: ReturnType<typeof loadConfig>) => topicCatalog(config).filter((t) => t.name.endsWith('.dlq'));
    expect(dlqs(loadConfig({})).map((t) => t.config['retention.ms'])).toEqual(['-1', '-1', '-1', '-1']);
    expect(dlqs(loadConfig({ DLQ_RETENTION_MS: '2592000000' })).every((t) => t.config['retention.ms'] === '2592000000')).toBe(true);
  });
});
