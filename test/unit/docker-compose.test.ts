// docker-compose.yml cannot be run on these machines: its structure is checked against
// the app instead. Every app service is built from the Dockerfile, runs an entry point
// that exists, and gets an environment the app's own config schema accepts.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../../src/config.js';
import { SERVICE_CATALOG, SERVICE_NAMES } from '../../src/services/catalog.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const appServices = ['register-schemas', 'api', ...SERVICE_NAMES];

describe('docker-compose.yml', () => {
  it('runs the infrastructure from images and every app process from the Dockerfile', () => {
    for (const name of ['kafka', 'schema-registry', 'postgres', 'mailpit', 'kafka-ui']) expect(services[name]?.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
    for (const name of appServices) expect(services[name]?.build, name).toBe('.');
    expect(services.kafka!.image).toMatch(/^confluentinc\/cp-kafka:/);
    expect(services['schema-registry']!.image).toMatch(/^confluentinc\/cp-schema-registry:/);
  });

  it('starts each app process with an entry point that exists', () => {
    for (const name of appServices) {
      const entry = services[name]!.command!.find((part) => part.startsWith('dist/cli/'))!;
      expect(existsSync(`${root}${entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')}`), `${name}: ${entry}`).toBe(true);
    }
  });

  it('runs one container per service in the catalog, and no consumer the catalog does not know', () => {
    const consumers = Object.entries(services).filter(([, service]) => service.command?.includes('dist/cli/consumer.js'));
    expect(consumers.map(([name]) => name).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const [name, service] of consumers) expect(service.command!.at(-1), name).toBe(name);
  });

  it("gives every app process an environment the app's config schema accepts", () => {
    const known = new Set(Object.keys(EnvSchema.properties));
    for (const name of appServices) {
      // As compose reads it with nothing set in the shell: ${VAR:-default} is the default.
      const environment = Object.fromEntries(Object.entries(services[name]!.environment!).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
      expect(Object.keys(environment).filter((key) => !known.has(key)), `${name}: unknown variables`).toEqual([]);
      const config = loadConfig(environment);
      expect(config.registry.url).toBe('http://schema-registry:8081'); // Confluent's API: no ccompat path
      expect(config.kafka.brokers).toEqual(['kafka:29092']);
      expect(config.api.rateLimit, `${name}: the local system runs without a rate limit`).toBeUndefined();
    }
  });

  it('publishes the ports the processes listen on, and health-checks each long-running one', () => {
    expect(services.api!.ports).toEqual([`${loadConfig({}).api.port}:${loadConfig({}).api.port}`]);
    for (const { name, httpPort } of SERVICE_CATALOG) {
      expect(services[name]!.ports, name).toEqual([`${httpPort}:${httpPort}`]);
      expect(services[name]!.healthcheck!.test.join(' '), name).toContain(`127.0.0.1:${httpPort}/healthz`);
    }
    expect(services.api!.healthcheck!.test.join(' ')).toContain('/readyz');
  });

  it('runs Kafbat UI, pinned to a version, on the compose broker and registry, with its port published', () => {
    const ui = services['kafka-ui']!;
    expect(ui.image).toMatch(/^ghcr\.io\/kafbat\/kafka-ui:v\d+\.\d+\.\d+$/);
    // The broker's listener for containers, and the registry's own listener, as the app's containers reach them.
    const internalListener = /INTERNAL:\/\/([\w.-]+:\d+)/.exec(String(services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS))![1];
    const registryPort = /:(\d+)$/.exec(String(services['schema-registry']!.environment!.SCHEMA_REGISTRY_LISTENERS))![1];
    expect(ui.environment!.KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS).toBe(internalListener);
    expect(ui.environment!.KAFKA_CLUSTERS_0_SCHEMAREGISTRY).toBe(`http://schema-registry:${registryPort}`);
    expect(ui.environment!.KAFKA_CLUSTERS_0_NAME).toBeTruthy();
    expect(ui.ports).toEqual(['8080:8080']);
    expect(ui.healthcheck!.test.join(' ')).toContain('127.0.0.1:8080/actuator/health');
    expect(ui.depends_on).toEqual({ kafka: { condition: 'service_healthy' }, 'schema-registry': { condition: 'service_healthy' } });
  });

  it('starts the app only after the schemas are registered, and that after Kafka and the registry are healthy', () => {
    for (const name of appServices.filter((n) => n !== 'register-schemas')) {
      expect(services[name]!.depends_on!['register-schemas']).toEqual({ condition: 'service_completed_successfully' });
    }
    expect(services['register-schemas']!.depends_on).toEqual({ kafka: { condition: 'service_healthy' }, 'schema-registry': { condition: 'service_healthy' } });
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(services[dependency], `${name} → ${dependency}`).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  it('is multi-stage on a Node LTS image, installs production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM node:\d+-/gm)!.length).toBeGreaterThanOrEqual(2);
    expect(Number(/^FROM node:(\d+)-/m.exec(dockerfile)![1]) % 2).toBe(0); // even majors are the LTS lines
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^COPY schemas /m);
  });
});
