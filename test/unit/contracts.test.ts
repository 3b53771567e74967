// The hand-kept TypeScript event types and the Avro files in schemas/ stay in step.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP, type UserSignedUp } from '../../src/events/user-signed-up.js';
import { logicalTypes } from '../../src/registry/logical-types.js';

describe('UserSignedUp contract', () => {
  const history = loadSchemaHistory(USER_SIGNED_UP);
  const type = (schema: string) => avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { logicalTypes });

  it('keeps its history as v1, v2, … with a doc on every field', () => {
    expect(history.versions.map((v) => v.version)).toEqual([1, 2]);
    for (const version of history.versions) {
      const schema = JSON.parse(version.schema) as { namespace: string; doc: string; fields: { doc?: string }[] };
      expect(schema.namespace).toBeTruthy();
      expect(schema.doc).toBeTruthy();
      expect(schema.fields.every((f) => typeof f.doc === 'string' && f.doc.length > 0)).toBe(true);
    }
  });

  it('round-trips a TypeScript UserSignedUp through the newest schema', () => {
    const event: UserSignedUp = {
      eventId: '01a20f51-89ca-710c-a627-62dd87520a4b',
      userId: '01a20f51-89ca-710c-a627-5ec3677a03dc',
      email: 'ada@example.com',
      username: 'ada',
      occurredAt: new Date('2026-11-24T12:00:00.123Z'),
      locale: 'en-GB',
    };
    const latest = type(history.latest.schema);
    expect(latest.isValid(event)).toBe(true);
    expect(latest.fromBuffer(latest.toBuffer(event))).toEqual(event);
  });

  it('decodes v1 data with the v2 reader (locale defaults to null) and v2 data with the v1 reader', () => {
    const [v1, v2] = history.versions.map((v) => type(v.schema));
    const old = { eventId: 'e', userId: 'u', email: 'a@b.co', username: 'ada', occurredAt: new Date(1) };
    expect(v2!.fromBuffer(v1!.toBuffer(old), v2!.createResolver(v1!))).toEqual({ ...old, locale: null });
    const fresh = { ...old, locale: 'de' };
    expect(v1!.fromBuffer(v2!.toBuffer(fresh), v1!.createResolver(v2!))).toEqual(old);
  });
});
