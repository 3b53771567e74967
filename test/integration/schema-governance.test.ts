// Schema governance against the real registry: the repository's schema histories must hold
// under their subjects' levels (this is the check that fails CI on an incompatible change),
// incompatible changes fail with a message that says what broke, registration is
// idempotent, and v1/v2 events decode across versions.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compatibility } from '../../src/registry/library.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { eventCatalog, type EventContract } from '../../src/events/catalog.js';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createKafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { createRegistryClient, createValueDeserializer, createValueSerializer } from '../../src/registry/client.js';
import { logicalTypes } from '../../src/registry/logical-types.js';
import { checkSchemaHistory, IncompatibleSchemaError, registerSchemas } from '../../src/registry/register-schemas.js';
import { stackConfig } from '../support/stack-env.js';

const fixtures = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));
const registry = createRegistryClient(stackConfig().registry);

const fixtureContract = (event: string): EventContract => ({
  event,
  topic: { name: `governance-${randomUUID()}`, partitions: 1, replicationFactor: 1, config: {} },
  compatibility: Compatibility.FULL_TRANSITIVE,
});

describe("the repository's schemas", () => {
  it.each(eventCatalog(stackConfig()).map((c) => [c.event, c] as const))(
    '%s: every version is compatible with the earlier ones under its level, per the registry',
    async (_event, contract) => {
      await expect(checkSchemaHistory(registry, contract)).resolves.toBeUndefined();
    },
  );
});

describe('an incompatible change', () => {
  it.each([
    ['BreaksWithRequiredField', /v2 cannot read data written with v1: .*tier/],
    ['BreaksWithTypeChange', /cannot read data written with v\d/],
  ])('%s fails the check, naming the subject, the level, the file and what broke', async (event, reason) => {
    const contract = fixtureContract(event);
    const error = await checkSchemaHistory(registry, contract, fixtures).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IncompatibleSchemaError);
    const incompatible = error as IncompatibleSchemaError;
    expect(incompatible.subject).toBe(`${contract.topic.name}-value`);
    expect(incompatible.level).toBe('FULL_TRANSITIVE');
    expect(incompatible.file).toMatch(new RegExp(`${event}/v2\\.avsc$`));
    expect(incompatible.reason).toMatch(reason);
    expect(incompatible.message).toContain(`is incompatible with subject ${contract.topic.name}-value under FULL_TRANSITIVE`);
  });
});

describe('registerSchemas', () => {
  let admin: KafkaJS.Admin;
  const id = randomUUID();
  const config = stackConfig({ SIGNUP_TOPIC: `governance-signups-${id}`, ONBOARDING_TOPIC: `governance-onboarding-${id}`, SIGNUP_TOPIC_PARTITIONS: '3' });
  const catalog = eventCatalog(config);
  const subject = `${config.topics.signups.name}-value`;
  const onboardingSubject = `${config.topics.onboarding.name}-value`;

  beforeAll(async () => {
    admin = createKafka(config.kafka, createLogger('warn', 'test')).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [config.topics.signups.name, config.topics.onboarding.name] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('in a dry run reports what it would do and changes nothing', async () => {
    const report = await registerSchemas({ registry, admin, catalog, dryRun: true });
    expect(report).toEqual([
      `UserSignedUp → subject ${subject} (FULL_TRANSITIVE)`,
      '  compatibility unset → FULL_TRANSITIVE: would set',
      '  v1 would be registered',
      '  v2 would be registered',
      `UserRegisteredForOnboarding → subject ${onboardingSubject} (FULL_TRANSITIVE)`,
      '  compatibility unset → FULL_TRANSITIVE: would set',
      '  v1 would be registered',
      `topic ${config.topics.signups.name}: would be created (3 partitions, replication factor 1, min.insync.replicas=1, retention.ms=-1)`,
      `topic ${config.topics.onboarding.name}: would be created (3 partitions, replication factor 1, min.insync.replicas=1, retention.ms=-1)`,
    ]);
    expect(await registry.getAllSubjects()).not.toContain(subject);
    expect(await admin.listTopics()).not.toContain(config.topics.signups.name);
  });

  it('registers the history in order, sets the level and creates the topic; a second run changes nothing', async () => {
    const first = await registerSchemas({ registry, admin, catalog });
    expect(first.filter((line) => / registered \(id \d+\)$/.test(line))).toHaveLength(3);
    expect(await registry.getAllVersions(subject)).toEqual([1, 2]);
    expect(await registry.getCompatibility(subject)).toBe(Compatibility.FULL_TRANSITIVE);
    const [metadata] = await admin.fetchTopicMetadata({ topics: [config.topics.signups.name] });
    expect(metadata!.partitions).toHaveLength(3);

    const second = await registerSchemas({ registry, admin, catalog });
    expect(second).toEqual([
      `UserSignedUp → subject ${subject} (FULL_TRANSITIVE)`,
      expect.stringMatching(/^ {2}v1 already registered \(id \d+\)$/),
      expect.stringMatching(/^ {2}v2 already registered \(id \d+\)$/),
      `UserRegisteredForOnboarding → subject ${onboardingSubject} (FULL_TRANSITIVE)`,
      expect.stringMatching(/^ {2}v1 already registered \(id \d+\)$/),
      `topic ${config.topics.signups.name} exists with 3 partitions`,
      `topic ${config.topics.onboarding.name} exists with 3 partitions`,
    ]);
    expect(await registry.getAllVersions(subject)).toEqual([1, 2]);
  });

  it('lets an old reader decode new events and a new reader decode old ones, through the registry', async () => {
    const topic = config.topics.signups.name;
    const [v1, v2] = loadSchemaHistory(USER_SIGNED_UP).versions;
    const idOf = (schema: string) => registry.getId(subject, { schemaType: 'AVRO', schema });
    const base = { eventId: randomUUID(), userId: randomUUID(), email: 'evo@example.com', username: 'evo', occurredAt: new Date(1_700_000_000_000) };
    const oldBytes = await createValueSerializer(registry, await idOf(v1!.schema)).serialize(topic, base);
    const newBytes = await createValueSerializer(registry, await idOf(v2!.schema)).serialize(topic, { ...base, locale: 'fr' });

    // Each record carries its writer's id; the deserializer decodes it with that writer schema.
    const deserializer = createValueDeserializer(registry);
    expect(await deserializer.deserialize(topic, oldBytes)).toEqual(base);
    expect(await deserializer.deserialize(topic, newBytes)).toEqual({ ...base, locale: 'fr' });

    // A service's own reader schema applied on top: v2 reads v1 data, v1 reads v2 data.
    const type = (schema: string) => avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { logicalTypes });
    const [reader1, reader2] = [type(v1!.schema), type(v2!.schema)];
    expect(reader2.fromBuffer(oldBytes.subarray(5), reader2.createResolver(reader1))).toEqual({ ...base, locale: null });
    expect(reader1.fromBuffer(newBytes.subarray(5), reader1.createResolver(reader2))).toEqual(base);
  });
});
