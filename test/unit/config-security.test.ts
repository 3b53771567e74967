// Production connection settings: SASL/TLS for Kafka, basic auth for the registry, TLS for
// PostgreSQL and SMTP. Validated at start-up; secrets never appear in an error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { librdkafkaSecurity } from '../../src/kafka/client.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
};

const ca = join(mkdtempSync(join(tmpdir(), 'ca-')), 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');

describe('Kafka security settings', () => {
  it('maps SASL_SSL with SCRAM and a CA file to librdkafka properties', () => {
    const config = loadConfig({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'svc-signup',
      KAFKA_SASL_PASSWORD: 's3cret!',
      KAFKA_SSL_CA_LOCATION: ca,
    });
    expect(librdkafkaSecurity(config.kafka.security)).toEqual({
      'security.protocol': 'sasl_ssl',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'svc-signup',
      'sasl.password': 's3cret!',
      'ssl.ca.location': ca,
    });
  });

  it('is plaintext by default, with no SASL properties', () => {
    expect(librdkafkaSecurity(loadConfig({}).kafka.security)).toEqual({ 'security.protocol': 'plaintext' });
  });

  it('names each missing SASL variable, and never shows the password', () => {
    const problems = problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'hunter2' });
    expect(problems).toEqual([
      'KAFKA_SASL_MECHANISM: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'KAFKA_SASL_USERNAME: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
    ]);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' }).join('\n')).not.toContain('hunter2');
  });

  it('refuses settings that would not do what they say', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })[0]).toMatch(/KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL/);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })[0]).toMatch(/password in clear/);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: '/nonexistent/ca.pem' })[0]).toMatch(/no such file/);
    expect(problemsOf({ KAFKA_SSL_CA_LOCATION: ca })[0]).toMatch(/does not use TLS/);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'TLS' })[0]).toMatch(/^KAFKA_SECURITY_PROTOCOL="TLS"/);
  });
});

describe('registry, PostgreSQL and SMTP security settings', () => {
  it('passes registry basic auth to the client, over https', () => {
    const config = loadConfig({ SCHEMA_REGISTRY_URL: 'https://registry.example.com', SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' });
    expect(config.registry.basicAuth).toEqual({ username: 'key', password: 'secret' });
  });

  it('refuses registry credentials over plain http to another host, or one without the other', () => {
    expect(problemsOf({ SCHEMA_REGISTRY_URL: 'http://registry.example.com', SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' })[0]).toMatch(/in clear; use https/);
    expect(problemsOf({ SCHEMA_REGISTRY_USERNAME: 'key' })[0]).toMatch(/set both or neither/);
    // The local stack's registry on the loopback is fine.
    expect(problemsOf({ SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' })).toEqual([]);
  });

  it("accepts PostgreSQL's sslmode values and names a wrong one", () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://app:pw@db.example.com:5432/signups?sslmode=verify-full' })).toEqual([]);
    const problems = problemsOf({ DATABASE_URL: 'postgres://app:pw@db.example.com:5432/signups?sslmode=always' });
    expect(problems[0]).toMatch(/sslmode=always is not one of/);
    expect(problems.join('\n')).not.toContain(':pw@');
  });

  it('wants TLS for SMTP credentials that leave the machine', () => {
    expect(problemsOf({ SMTP_URL: 'smtp://user:pw@mail.example.com:587' })[0]).toMatch(/use smtps:\/\/ or SMTP_REQUIRE_TLS=true/);
    expect(problemsOf({ SMTP_URL: 'smtp://user:pw@mail.example.com:587' }).join('\n')).not.toContain(':pw@');
    expect(problemsOf({ SMTP_URL: 'smtp://user:pw@mail.example.com:587', SMTP_REQUIRE_TLS: 'true' })).toEqual([]);
    expect(problemsOf({ SMTP_URL: 'smtps://user:pw@mail.example.com:465' })).toEqual([]);
    expect(loadConfig({ SMTP_REQUIRE_TLS: 'true' }).mail.requireTls).toBe(true);
  });
});
