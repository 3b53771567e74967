// Environment → typed configuration, validated once at start-up. Every process calls
// loadConfig() exactly once and passes the result down; nothing else reads process.env.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const hostPortList = '^[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*$';
const httpUrl = '^https?://[^\\s/]+(/\\S*)?$';
const postgresUrl = '^postgres(ql)?://\\S+$';

/** The variables the app understands, their defaults (the local stack's addresses) and rules. */
export const EnvSchema = Type.Object({
  KAFKA_BROKERS: Type.String({
    default: '127.0.0.1:9092',
    pattern: hostPortList,
    description: 'comma-separated host:port list of bootstrap brokers',
  }),
  KAFKA_CLIENT_ID: Type.String({ default: 'signup-pipeline', minLength: 1 }),
  SCHEMA_REGISTRY_URL: Type.String({
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    pattern: httpUrl,
    description: 'base URL of a Confluent-compatible schema registry API',
  }),
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/signup_pipeline',
    pattern: postgresUrl,
    description: 'PostgreSQL connection URL',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  readonly kafka: { readonly brokers: readonly string[]; readonly clientId: string };
  readonly registry: { readonly url: string };
  readonly database: { readonly url: string };
  readonly logLevel: Env['LOG_LEVEL'];
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
  return {
    kafka: { brokers: env.KAFKA_BROKERS.split(','), clientId: env.KAFKA_CLIENT_ID },
    registry: { url: env.SCHEMA_REGISTRY_URL.replace(/\/+$/, '') },
    database: { url: env.DATABASE_URL },
    logLevel: env.LOG_LEVEL,
  };
}

function describeProblems(env: unknown): string[] {
  const byVariable = new Map<string, string>();
  for (const error of Value.Errors(EnvSchema, env)) {
    const variable = error.path.replace(/^\//, '');
    if (byVariable.has(variable)) continue; // the first reason per variable is the useful one
    const schema = EnvSchema.properties[variable as keyof Env] as { description?: string } | undefined;
    const expected = schema?.description ? ` (expected ${schema.description})` : '';
    const shown = JSON.stringify(typeof error.value === 'string' ? hideUrlPassword(error.value) : error.value);
    byVariable.set(variable, `${variable}=${shown}: ${error.message}${expected}`);
  }
  return [...byVariable.values()];
}

/** Credentials in a URL never reach a log or an error message. */
export function hideUrlPassword(url: string): string {
  return url.replace(/\/\/([^:/@\s]+):[^@/\s]*@/, '//$1:***@');
}
