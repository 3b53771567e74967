// Environment → typed configuration, validated once at start-up. Every process calls
// loadConfig() exactly once and passes the result down; nothing else reads process.env.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const hostPortList = '^[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*$';
const httpUrl = '^https?://[^\\s/]+(/\\S*)?$';
const postgresUrl = '^postgres(ql)?://\\S+$';

const port = (defaultPort: number, description: string) =>
  Type.Integer({ default: defaultPort, minimum: 0, maximum: 65535, description });
const topicName = (defaultName: string) =>
  Type.String({ default: defaultName, pattern: '^[A-Za-z0-9._-]{1,249}$', description: 'a Kafka topic name' });

/** The variables the app understands, their defaults (the local stack's addresses) and rules. */
export const EnvSchema = Type.Object({
  KAFKA_BROKERS: Type.String({
    default: '127.0.0.1:9092',
    pattern: hostPortList,
    description: 'comma-separated host:port list of bootstrap brokers',
  }),
  KAFKA_CLIENT_ID: Type.String({ default: 'signup-pipeline', minLength: 1, description: 'the Kafka client id; a consumer service appends -<service name>' }),
  KAFKA_SECURITY_PROTOCOL: Type.Union([Type.Literal('PLAINTEXT'), Type.Literal('SSL'), Type.Literal('SASL_PLAINTEXT'), Type.Literal('SASL_SSL')], {
    default: 'PLAINTEXT',
    description: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
  }),
  KAFKA_SASL_MECHANISM: Type.Optional(
    Type.Union([Type.Literal('PLAIN'), Type.Literal('SCRAM-SHA-256'), Type.Literal('SCRAM-SHA-512')], { description: 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512' }),
  ),
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SSL_CA_LOCATION: Type.Optional(Type.String({ minLength: 1, description: "a PEM file of the CA that signed the brokers' certificates" })),
  SCHEMA_REGISTRY_URL: Type.String({
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    pattern: httpUrl,
    description: 'base URL of a Confluent-compatible schema registry API',
  }),
  SCHEMA_REGISTRY_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  SCHEMA_REGISTRY_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/signup_pipeline',
    pattern: postgresUrl,
    description: 'PostgreSQL connection URL',
  }),
  LOG_LEVEL: Type.Union(
    (['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const).map((level) => Type.Literal(level)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),

  SIGNUP_TOPIC: topicName('user-signup-events'),
  SIGNUP_TOPIC_PARTITIONS: Type.Integer({ default: 6, minimum: 1, maximum: 10000 }),
  TOPIC_REPLICATION_FACTOR: Type.Integer({ default: 1, minimum: 1, maximum: 32 }),
  TOPIC_MIN_INSYNC_REPLICAS: Type.Integer({ default: 1, minimum: 1, maximum: 32 }),

  PRODUCE_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 300_000,
    description: 'milliseconds after which an unacknowledged event fails its request with 503',
  }),
  PRODUCER_DELIVERY_TIMEOUT_MS: Type.Integer({
    default: 120_000,
    minimum: 1000,
    maximum: 900_000,
    description:
      'milliseconds librdkafka keeps trying to deliver an event (message.timeout.ms); longer than a leader failover, so that no in-flight event is timed out, which would bump the idempotent epoch and can duplicate it',
  }),
  // 0: a lone signup is not held back. A 1 ms linger, measured on the API's one core with
  // a distinct user per signup, gave 0.85-1.34x the throughput of 0 at 64 and 256
  // connections (the keys spread over the partitions' queues, so little batches) and made
  // a lone signup wait about 1.3 ms more: no clear gain for a certain cost.
  PRODUCER_LINGER_MS: Type.Number({
    default: 0,
    minimum: 0,
    maximum: 1000,
    description: 'milliseconds the producer waits to batch concurrent requests into one broker request',
  }),

  ONBOARDING_TOPIC: topicName('user-registered-for-onboarding'),
  CONSUMER_GROUP_PREFIX: Type.String({
    default: 'signup-pipeline.',
    pattern: '^[A-Za-z0-9._-]*$',
    description: 'prefix of every consumer group id (the prefix, then the service name from src/services/catalog.ts)',
  }),
  CONSUMER_MAX_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  EVENT_RETENTION_MS: Type.Integer({
    default: -1,
    minimum: -1,
    description:
      'milliseconds the event topics created by register-schemas keep their records (-1: for ever). Kafka is the source of truth: a replay from the beginning covers only what is kept',
  }),
  DLQ_RETENTION_MS: Type.Integer({
    default: -1,
    minimum: -1,
    description: 'milliseconds a dead letter is kept in a dead-letter topic created by register-schemas (-1: until deleted); never shorter than the source topic keeps its records',
  }),
  CONSUMER_GROUP_PROTOCOL: Type.Union([Type.Literal('consumer'), Type.Literal('classic')], {
    default: 'consumer',
    description:
      "consumer: Kafka 4's group protocol (KIP-848), the broker assigns partitions and moves only those that change owner; classic: the protocol of brokers before 4.0, every join or leave revokes every partition",
  }),
  CONSUMER_SESSION_TIMEOUT_MS: Type.Optional(
    Type.Integer({
      minimum: 6000,
      maximum: 300_000,
      description:
        "classic protocol only (default 30000): milliseconds without a heartbeat after which the group gives a member's partitions to the others. Under the consumer protocol the broker decides (group.consumer.session.timeout.ms, or the group's consumer.session.timeout.ms)",
    }),
  ),
  CONSUMER_STALL_TIMEOUT_MS: Type.Integer({
    default: 120_000,
    minimum: 2000,
    maximum: 3_600_000,
    description: 'a consumer with records waiting that has handled nothing for this long, and is not backing off, fails /healthz so that it is restarted',
  }),
  CONSUMER_INITIAL_BACKOFF_MS: Type.Integer({ default: 500, minimum: 1, maximum: 60_000 }),
  CONSUMER_MAX_BACKOFF_MS: Type.Integer({ default: 30_000, minimum: 1, maximum: 600_000 }),
  CONSUMER_MAX_BATCH_SIZE: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 10_000,
    description: "most records of one partition handled together (one analytics database transaction, one onboarding-tracker INSERT, one onboarding Kafka transaction)",
  }),
  // The broker answers a service consumer's fetch once it holds 64 KiB for it (the
  // runtime's FETCH_MIN_BYTES) or this wait is over. librdkafka's default (answer at the
  // first byte) costs a fetch, a batch and a database or Kafka transaction per record at
  // low rates. 300, not 50: at 1,000 signups/s on one 2-core machine, 50 ms batches kept it
  // 97-99 % busy and the welcome email's p99 at 1.3-1.6 s, 300 ms ones 89-90 % and
  // 352-448 ms (bench/end-to-end.ts); each hop's effect then waits up to 300 ms at low rates.
  CONSUMER_FETCH_WAIT_MS: Type.Integer({
    default: 300,
    minimum: 10,
    maximum: 500,
    description: 'most milliseconds the broker holds a service consumer\'s fetch to gather records (fetch.wait.max.ms, with fetch.min.bytes 64 KiB): adds up to this to an effect\'s latency at low rates, saves a fetch and a transaction per record; the onboarding tracker, two hops from the signup, waits at most 100',
  }),

  ANALYTICS_DB_SCHEMA: Type.String({
    default: 'analytics',
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    description: 'PostgreSQL schema holding the analytics tables',
  }),

  SMTP_URL: Type.String({
    default: 'smtp://127.0.0.1:2525',
    pattern: '^smtps?://\\S+$',
    description: 'smtp:// or smtps:// URL of the mail server, credentials included if any',
  }),
  SMTP_MAX_CONNECTIONS: Type.Integer({
    default: 32,
    minimum: 1,
    maximum: 256,
    description: "pooled connections of one email instance to the mail server, and so the most welcome emails it sends at once (within the provider's limit on concurrent connections)",
  }),
  SMTP_REQUIRE_TLS: Type.Boolean({ default: false, description: 'true: refuse to send unless the server upgrades to TLS (STARTTLS)' }),
  MAIL_FROM: Type.String({ default: 'Signup Pipeline <welcome@signup-pipeline.invalid>', minLength: 3 }),

  INSTANCE_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._-]{1,100}$',
      description:
        "this process's slot among its service's instances, unique among the running ones and the same after a restart (a StatefulSet pod name): onboarding's transactional id, so that a restarted instance fences its predecessor's open transaction at once",
    }),
  ),
  SERVICE_HTTP_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: "the consumer service's health and metrics port (default: the service's port in src/services/catalog.ts; 0 picks a free one)",
    }),
  ),

  USER_ID_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'at least 32 characters of random text, the same on every API instance and never changed: the key user ids are derived from email addresses with (required by the API)',
    }),
  ),
  API_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  API_PORT: port(3000, 'the API port (0 picks a free one)'),
  API_BODY_LIMIT_BYTES: Type.Integer({ default: 4096, minimum: 256, maximum: 1_048_576 }),
  API_RATE_LIMIT_MAX: Type.Integer({
    default: 60,
    minimum: 0,
    maximum: 1_000_000,
    description: 'signups one client address may make per API_RATE_LIMIT_WINDOW_MS before it gets 429 (0: no limit)',
  }),
  API_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000, maximum: 86_400_000 }),
  API_TRUSTED_PROXIES: Type.String({
    default: '',
    description:
      'comma-separated addresses or CIDR ranges of the reverse proxies in front of the API: their X-Forwarded-For names the client (rate limit, logs); empty: the connecting address is the client',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    maximum: 120_000,
    description: 'milliseconds a process may take to drain and stop after SIGTERM',
  }),
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly produceTimeoutMs: number;
    readonly deliveryTimeoutMs: number;
    readonly lingerMs: number;
    readonly security: KafkaSecurity;
  };
  readonly registry: { readonly url: string; readonly basicAuth: { readonly username: string; readonly password: string } | undefined };
  readonly database: { readonly url: string };
  readonly topics: {
    readonly signups: { readonly name: string; readonly partitions: number };
    readonly onboarding: { readonly name: string };
    readonly replicationFactor: number;
    readonly minInsyncReplicas: number;
    readonly eventRetentionMs: number;
    readonly deadLetterRetentionMs: number;
  };
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** Key of the address → userId derivation (api/identity.ts); only the API needs it. */
    readonly userIdSecret: string | undefined;
    /** Per client address, on POST /signup; undefined: no limit. */
    readonly rateLimit: { readonly max: number; readonly windowMs: number } | undefined;
    /** Reverse proxies whose X-Forwarded-For is believed; the first address not in the list is the client. */
    readonly trustedProxies: readonly string[];
  };
  readonly consumers: {
    readonly groupPrefix: string;
    readonly maxBatchSize: number;
    readonly fetchWaitMs: number;
    readonly group: ConsumerGroupProtocol;
    readonly stallTimeoutMs: number;
    readonly retry: { readonly maxAttempts: number; readonly initialBackoffMs: number; readonly maxBackoffMs: number };
  };
  readonly mail: { readonly smtpUrl: string; readonly from: string; readonly requireTls: boolean; readonly maxConnections: number };
  readonly analytics: { readonly dbSchema: string };
  /** See INSTANCE_ID; undefined: a random transactional id per process. */
  readonly instanceId: string | undefined;
  /** Health and metrics listener of a consumer service process; port undefined = the service's default. */
  readonly serviceHttp: { readonly host: string; readonly port: number | undefined };
  readonly shutdownTimeoutMs: number;
  readonly logLevel: Env['LOG_LEVEL'];
}

/**
 * The group protocol, and what the client itself may set under it: under the consumer
 * protocol (KIP-848) the session timeout and heartbeat interval are the broker's or the
 * group's configuration, not the member's.
 */
export type ConsumerGroupProtocol = { readonly protocol: 'consumer' } | { readonly protocol: 'classic'; readonly sessionTimeoutMs: number };

export interface KafkaSecurity {
  readonly protocol: Env['KAFKA_SECURITY_PROTOCOL'];
  readonly sasl: { readonly mechanism: NonNullable<Env['KAFKA_SASL_MECHANISM']>; readonly username: string; readonly password: string } | undefined;
  readonly caLocation: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads, defaults and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((key) => source[key] !== undefined && source[key] !== '')
      .map((key) => [key, source[key]]),
  );
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, known));
  if (!Value.Check(EnvSchema, env)) {
    throw new ConfigError(describeProblems(env));
  }
  const problems = crossChecks(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    kafka: {
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: env.KAFKA_CLIENT_ID,
      produceTimeoutMs: env.PRODUCE_TIMEOUT_MS,
      deliveryTimeoutMs: Math.max(env.PRODUCER_DELIVERY_TIMEOUT_MS, env.PRODUCE_TIMEOUT_MS),
      lingerMs: env.PRODUCER_LINGER_MS,
      security: {
        protocol: env.KAFKA_SECURITY_PROTOCOL,
        sasl: env.KAFKA_SECURITY_PROTOCOL.startsWith('SASL_')
          ? { mechanism: env.KAFKA_SASL_MECHANISM!, username: env.KAFKA_SASL_USERNAME!, password: env.KAFKA_SASL_PASSWORD! }
          : undefined,
        caLocation: env.KAFKA_SSL_CA_LOCATION,
      },
    },
    registry: {
      url: env.SCHEMA_REGISTRY_URL.replace(/\/+$/, ''),
      basicAuth: env.SCHEMA_REGISTRY_USERNAME ? { username: env.SCHEMA_REGISTRY_USERNAME, password: env.SCHEMA_REGISTRY_PASSWORD! } : undefined,
    },
    database: { url: env.DATABASE_URL },
    topics: {
      signups: { name: env.SIGNUP_TOPIC, partitions: env.SIGNUP_TOPIC_PARTITIONS },
      onboarding: { name: env.ONBOARDING_TOPIC },
      replicationFactor: env.TOPIC_REPLICATION_FACTOR,
      minInsyncReplicas: env.TOPIC_MIN_INSYNC_REPLICAS,
      eventRetentionMs: env.EVENT_RETENTION_MS,
      deadLetterRetentionMs: env.DLQ_RETENTION_MS,
    },
    api: {
      host: env.API_HOST,
      port: env.API_PORT,
      bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
      userIdSecret: env.USER_ID_SECRET,
      rateLimit: env.API_RATE_LIMIT_MAX > 0 ? { max: env.API_RATE_LIMIT_MAX, windowMs: env.API_RATE_LIMIT_WINDOW_MS } : undefined,
      trustedProxies: listOf(env.API_TRUSTED_PROXIES),
    },
    consumers: {
      groupPrefix: env.CONSUMER_GROUP_PREFIX,
      maxBatchSize: env.CONSUMER_MAX_BATCH_SIZE,
      fetchWaitMs: env.CONSUMER_FETCH_WAIT_MS,
      group:
        env.CONSUMER_GROUP_PROTOCOL === 'classic' ? { protocol: 'classic', sessionTimeoutMs: env.CONSUMER_SESSION_TIMEOUT_MS ?? 30_000 } : { protocol: 'consumer' },
      stallTimeoutMs: env.CONSUMER_STALL_TIMEOUT_MS,
      retry: {
        maxAttempts: env.CONSUMER_MAX_ATTEMPTS,
        initialBackoffMs: env.CONSUMER_INITIAL_BACKOFF_MS,
        maxBackoffMs: Math.max(env.CONSUMER_MAX_BACKOFF_MS, env.CONSUMER_INITIAL_BACKOFF_MS),
      },
    },
    mail: { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, requireTls: env.SMTP_REQUIRE_TLS, maxConnections: env.SMTP_MAX_CONNECTIONS },
    analytics: { dbSchema: env.ANALYTICS_DB_SCHEMA },
    instanceId: env.INSTANCE_ID,
    serviceHttp: { host: env.API_HOST, port: env.SERVICE_HTTP_PORT },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
  };
}

/**
 * The inverse of loadConfig: every variable of EnvSchema, set so that loadConfig reads
 * `config` back (unset ones empty). For processes started with a given config, as the
 * tests and benchmarks start the API and the services.
 */
export function environmentOf(config: Config): { readonly [Variable in keyof Env]-?: string } {
  const { kafka, registry, topics, api, consumers } = config;
  const text = (value: string | number | boolean | undefined) => (value === undefined ? '' : String(value));
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_CLIENT_ID: kafka.clientId,
    KAFKA_SECURITY_PROTOCOL: kafka.security.protocol,
    KAFKA_SASL_MECHANISM: text(kafka.security.sasl?.mechanism),
    KAFKA_SASL_USERNAME: text(kafka.security.sasl?.username),
    KAFKA_SASL_PASSWORD: text(kafka.security.sasl?.password),
    KAFKA_SSL_CA_LOCATION: text(kafka.security.caLocation),
    SCHEMA_REGISTRY_URL: registry.url,
    SCHEMA_REGISTRY_USERNAME: text(registry.basicAuth?.username),
    SCHEMA_REGISTRY_PASSWORD: text(registry.basicAuth?.password),
    DATABASE_URL: config.database.url,
    LOG_LEVEL: config.logLevel,
    SIGNUP_TOPIC: topics.signups.name,
    SIGNUP_TOPIC_PARTITIONS: text(topics.signups.partitions),
    TOPIC_REPLICATION_FACTOR: text(topics.replicationFactor),
    TOPIC_MIN_INSYNC_REPLICAS: text(topics.minInsyncReplicas),
    PRODUCE_TIMEOUT_MS: text(kafka.produceTimeoutMs),
    PRODUCER_DELIVERY_TIMEOUT_MS: text(kafka.deliveryTimeoutMs),
    PRODUCER_LINGER_MS: text(kafka.lingerMs),
    ONBOARDING_TOPIC: topics.onboarding.name,
    CONSUMER_GROUP_PREFIX: consumers.groupPrefix,
    CONSUMER_MAX_ATTEMPTS: text(consumers.retry.maxAttempts),
    EVENT_RETENTION_MS: text(topics.eventRetentionMs),
    DLQ_RETENTION_MS: text(topics.deadLetterRetentionMs),
    CONSUMER_GROUP_PROTOCOL: consumers.group.protocol,
    CONSUMER_SESSION_TIMEOUT_MS: text(consumers.group.protocol === 'classic' ? consumers.group.sessionTimeoutMs : undefined),
    CONSUMER_STALL_TIMEOUT_MS: text(consumers.stallTimeoutMs),
    CONSUMER_INITIAL_BACKOFF_MS: text(consumers.retry.initialBackoffMs),
    CONSUMER_MAX_BACKOFF_MS: text(consumers.retry.maxBackoffMs),
    CONSUMER_MAX_BATCH_SIZE: text(consumers.maxBatchSize),
    CONSUMER_FETCH_WAIT_MS: text(consumers.fetchWaitMs),
    ANALYTICS_DB_SCHEMA: config.analytics.dbSchema,
    SMTP_URL: config.mail.smtpUrl,
    SMTP_MAX_CONNECTIONS: text(config.mail.maxConnections),
    SMTP_REQUIRE_TLS: text(config.mail.requireTls),
    MAIL_FROM: config.mail.from,
    INSTANCE_ID: text(config.instanceId),
    SERVICE_HTTP_PORT: text(config.serviceHttp.port),
    USER_ID_SECRET: text(api.userIdSecret),
    API_HOST: api.host,
    API_PORT: text(api.port),
    API_BODY_LIMIT_BYTES: text(api.bodyLimitBytes),
    API_RATE_LIMIT_MAX: text(api.rateLimit?.max ?? 0),
    API_RATE_LIMIT_WINDOW_MS: text(api.rateLimit?.windowMs),
    API_TRUSTED_PROXIES: api.trustedProxies.join(','),
    SHUTDOWN_TIMEOUT_MS: text(config.shutdownTimeoutMs),
  };
}

/** The API's own requirement: the key user ids are derived with. No default: a made-up key would give every address a new id. */
export function userIdSecretOf(config: Config): string {
  if (config.api.userIdSecret === undefined) {
    throw new ConfigError([
      'USER_ID_SECRET: required by the API (user ids are derived from email addresses with it; the local stack writes one to .stack/env)',
    ]);
  }
  return config.api.userIdSecret;
}

function describeProblems(env: unknown): string[] {
  const byVariable = new Map<string, string>();
  for (const error of Value.Errors(EnvSchema, env)) {
    const variable = error.path.replace(/^\//, '');
    if (byVariable.has(variable)) continue; // the first reason per variable is the useful one
    const schema = EnvSchema.properties[variable as keyof Env] as { description?: string } | undefined;
    const expected = schema?.description ? ` (expected ${schema.description})` : '';
    const shown = SECRETS.has(variable) ? '"***"' : JSON.stringify(typeof error.value === 'string' ? hideUrlPassword(error.value) : error.value);
    byVariable.set(variable, `${variable}=${shown}: ${error.message}${expected}`);
  }
  return [...byVariable.values()];
}

/** Variables whose values never appear in an error message or a log line. */
const SECRETS = new Set(['KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD', 'USER_ID_SECRET']);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;
const PG_SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** Rules that span variables: production connection settings that would fail, or leak a secret. */
function crossChecks(env: Env): string[] {
  const problems: string[] = [];
  if (env.TOPIC_MIN_INSYNC_REPLICAS > env.TOPIC_REPLICATION_FACTOR) {
    problems.push(
      `TOPIC_MIN_INSYNC_REPLICAS=${env.TOPIC_MIN_INSYNC_REPLICAS}: must not exceed TOPIC_REPLICATION_FACTOR=${env.TOPIC_REPLICATION_FACTOR}, or no write could ever be acknowledged`,
    );
  }
  if (env.CONSUMER_GROUP_PROTOCOL === 'consumer' && env.CONSUMER_SESSION_TIMEOUT_MS !== undefined) {
    problems.push(
      "CONSUMER_SESSION_TIMEOUT_MS: set, but CONSUMER_GROUP_PROTOCOL=consumer takes the session timeout from the broker: set the group's consumer.session.timeout.ms (scripts/kafka configs --alter --entity-type groups --entity-name <group> --add-config consumer.session.timeout.ms=<ms>), or choose CONSUMER_GROUP_PROTOCOL=classic",
    );
  }
  const protocol = env.KAFKA_SECURITY_PROTOCOL;
  const saslVariables = (['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((v) => env[v] !== undefined);
  if (protocol.startsWith('SASL_')) {
    for (const v of ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (env[v] === undefined) problems.push(`${v}: required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    }
    if (protocol === 'SASL_PLAINTEXT' && env.KAFKA_SASL_MECHANISM === 'PLAIN') {
      problems.push('KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT would send the password in clear: use SASL_SSL (or a SCRAM mechanism)');
    }
  } else if (saslVariables.length > 0) {
    problems.push(`${saslVariables.join(', ')}: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL (SASL_SSL or SASL_PLAINTEXT)`);
  }
  if (env.KAFKA_SSL_CA_LOCATION !== undefined) {
    if (!protocol.endsWith('SSL')) problems.push(`KAFKA_SSL_CA_LOCATION: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (SSL or SASL_SSL)`);
    else if (!existsSync(env.KAFKA_SSL_CA_LOCATION)) problems.push(`KAFKA_SSL_CA_LOCATION=${JSON.stringify(env.KAFKA_SSL_CA_LOCATION)}: no such file`);
  }
  if ((env.SCHEMA_REGISTRY_USERNAME === undefined) !== (env.SCHEMA_REGISTRY_PASSWORD === undefined)) {
    problems.push('SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD: set both or neither');
  }
  const registry = new URL(env.SCHEMA_REGISTRY_URL);
  if (env.SCHEMA_REGISTRY_USERNAME !== undefined && registry.protocol === 'http:' && !LOOPBACK.test(registry.hostname)) {
    problems.push(`SCHEMA_REGISTRY_URL=${JSON.stringify(hideUrlPassword(env.SCHEMA_REGISTRY_URL))}: credentials would cross the network in clear; use https://`);
  }
  for (const proxy of listOf(env.API_TRUSTED_PROXIES)) {
    if (!isAddressOrRange(proxy)) problems.push(`API_TRUSTED_PROXIES: ${JSON.stringify(proxy)} is neither an IP address nor a CIDR range (like 10.0.0.0/8)`);
  }
  const database = safeUrl(env.DATABASE_URL);
  const sslMode = database?.searchParams.get('sslmode');
  if (sslMode && !PG_SSL_MODES.includes(sslMode)) {
    problems.push(`DATABASE_URL: sslmode=${sslMode} is not one of ${PG_SSL_MODES.join(', ')}`);
  }
  const smtp = safeUrl(env.SMTP_URL);
  if (smtp && smtp.username && smtp.protocol === 'smtp:' && !env.SMTP_REQUIRE_TLS && !LOOPBACK.test(smtp.hostname)) {
    problems.push(
      `SMTP_URL=${JSON.stringify(hideUrlPassword(env.SMTP_URL))}: credentials on smtp:// could be sent in clear if STARTTLS is stripped; use smtps:// or SMTP_REQUIRE_TLS=true`,
    );
  }
  return problems;
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function isAddressOrRange(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Credentials in a URL never reach a log or an error message. */
export function hideUrlPassword(url: string): string {
  return url.replace(/\/\/([^:/@\s]+):[^@/\s]*@/, '//$1:***@');
}
