// What this project asks of a schema registry, asked of the real one in the local stack
// through @confluentinc/schemaregistry: the same calls must work against Apicurio's
// Confluent-compatible API and Confluent's own registry.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compatibility, type SchemaInfo } from '../../src/registry/library.js';
import { createRegistryClient, type SchemaRegistryClient } from '../../src/registry/client.js';
import { stackConfig } from '../support/stack-env.js';

const avro = (schema: object): SchemaInfo => ({ schemaType: 'AVRO', schema: JSON.stringify(schema) });

const v1 = {
  type: 'record',
  name: 'Probe',
  namespace: 'test.registry',
  fields: [{ name: 'id', type: 'string' }],
};
const v2WithDefault = {
  ...v1,
  fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }],
};
const v2RequiredField = {
  ...v1,
  fields: [...v1.fields, { name: 'count', type: 'int' }],
};

describe('schema registry client against the local registry', () => {
  let client: SchemaRegistryClient;
  const subject = `registry-probe-${randomUUID()}-value`;
  let v1Id: number;

  beforeAll(async () => {
    client = createRegistryClient(stackConfig().registry);
    v1Id = await client.register(subject, avro(v1));
  });

  afterAll(async () => {
    await client.deleteSubject(subject, false).catch(() => undefined);
    await client.deleteSubject(subject, true).catch(() => undefined);
  });

  it('registers a schema and returns the same id when it is registered again', async () => {
    expect(v1Id).toBeGreaterThan(0);
    // A fresh client, so the answer comes from the registry and not the client's cache.
    const again = await createRegistryClient(stackConfig().registry).register(subject, avro(v1));
    expect(again).toBe(v1Id);
    expect(await client.getAllVersions(subject)).toEqual([1]);
  });

  it('looks a schema up by content, whatever its whitespace', async () => {
    const reformatted: SchemaInfo = { schemaType: 'AVRO', schema: JSON.stringify(v1, null, 2) };
    const id = await createRegistryClient(stackConfig().registry).getId(subject, reformatted);
    expect(id).toBe(v1Id);
  });

  it('gets a schema by id', async () => {
    const info = await createRegistryClient(stackConfig().registry).getBySubjectAndId(subject, v1Id);
    expect(JSON.parse(info.schema)).toMatchObject({ name: 'Probe', fields: [{ name: 'id', type: 'string' }] });
  });

  it('gets the latest version of a subject', async () => {
    const latest = await createRegistryClient(stackConfig().registry).getLatestSchemaMetadata(subject);
    expect(latest.id).toBe(v1Id);
    expect(latest.version).toBe(1);
  });

  it('reads BACKWARD as the default compatibility, like Confluent', async () => {
    expect(await client.getDefaultCompatibility()).toBe(Compatibility.BACKWARD);
  });

  it('sets and reads a subject compatibility level', async () => {
    // Not the PUT's answer: Apicurio 3.0 names its field differently from Confluent's registry
    // (README, 'Registry differences'), and the app reads levels only with GET.
    await client.updateCompatibility(subject, Compatibility.BACKWARD_TRANSITIVE);
    expect(await client.getCompatibility(subject)).toBe(Compatibility.BACKWARD_TRANSITIVE);
  });

  it('tests compatibility: an optional field with a default passes, a new required field fails', async () => {
    expect(await client.testSubjectCompatibility(subject, avro(v2WithDefault))).toBe(true);
    expect(await client.testSubjectCompatibility(subject, avro(v2RequiredField))).toBe(false);
  });

  it('refuses to register an incompatible version', async () => {
    await expect(client.register(subject, avro(v2RequiredField))).rejects.toThrow(/409|incompatible/i);
    expect(await client.getAllVersions(subject)).toEqual([1]);
  });

  it('registers a compatible second version', async () => {
    const v2Id = await client.register(subject, avro(v2WithDefault));
    expect(v2Id).not.toBe(v1Id);
    expect(await client.getAllVersions(subject)).toEqual([1, 2]);
    const latest = await createRegistryClient(stackConfig().registry).getLatestSchemaMetadata(subject);
    expect(latest).toMatchObject({ id: v2Id, version: 2 });
  });
});
