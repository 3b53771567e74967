import { describe, expect, it } from 'vitest';
import { Compatibility } from '../../src/registry/library.js';
import { explainIncompatibility } from '../../src/registry/compatibility.js';

const record = (fields: object[]) => JSON.stringify({ type: 'record', name: 'R', namespace: 't', fields });
const v1 = { label: 'v1', schema: record([{ name: 'id', type: 'string' }]) };
const optionalAdded = { label: 'v2', schema: record([{ name: 'id', type: 'string' }, { name: 'note', type: ['null', 'string'], default: null }]) };
const requiredAdded = { label: 'v2', schema: record([{ name: 'id', type: 'string' }, { name: 'count', type: 'int' }]) };
const typeChanged = { label: 'v2', schema: record([{ name: 'id', type: 'int' }]) };
const fieldRemoved = { label: 'v2', schema: record([]) };

describe('explainIncompatibility', () => {
  it('accepts an optional field with a default under FULL_TRANSITIVE', () => {
    expect(explainIncompatibility(Compatibility.FULL_TRANSITIVE, optionalAdded, [v1])).toBeUndefined();
  });

  it('names the new required field a new reader cannot fill from old data', () => {
    const reason = explainIncompatibility(Compatibility.BACKWARD, requiredAdded, [v1]);
    expect(reason).toMatch(/^v2 cannot read data written with v1: .*count/);
  });

  it('names the field whose type changed, and the types', () => {
    expect(explainIncompatibility(Compatibility.FULL, typeChanged, [v1])).toMatch(/^v2 cannot read data written with v1: field id: .*"string".*"int"/);
  });

  it('names a changed field inside a nested record by its path', () => {
    const nested = (ageType: string) =>
      JSON.stringify({
        type: 'record', name: 'R', namespace: 't',
        fields: [{ name: 'id', type: 'string' }, { name: 'profile', type: { type: 'record', name: 'P', fields: [{ name: 'age', type: ageType }] } }],
      });
    const reason = explainIncompatibility(Compatibility.BACKWARD, { label: 'v2', schema: nested('string') }, [{ label: 'v1', schema: nested('int') }]);
    expect(reason).toMatch(/^v2 cannot read data written with v1: field profile\.age: /);
  });

  it('allows a removed field backward, but not forward', () => {
    expect(explainIncompatibility(Compatibility.BACKWARD, fieldRemoved, [v1])).toBeUndefined();
    expect(explainIncompatibility(Compatibility.FORWARD, fieldRemoved, [v1])).toMatch(/^v1 cannot read data written with v2: .*id/);
  });

  it('checks every earlier version only when transitive', () => {
    const v3 = { label: 'v3', schema: record([{ name: 'note', type: ['null', 'string'], default: null }]) };
    // v3 drops the required `id`: a reader of v1 or v2 finds no value for it in v3 data.
    expect(explainIncompatibility(Compatibility.FORWARD, v3, [v1, optionalAdded])).toMatch(/^v2 cannot read data written with v3/);
    expect(explainIncompatibility(Compatibility.FORWARD_TRANSITIVE, v3, [v1, optionalAdded])).toMatch(/^v1 cannot read data written with v3/);
    expect(explainIncompatibility(Compatibility.BACKWARD_TRANSITIVE, v3, [v1, optionalAdded])).toBeUndefined();
  });

  it('has nothing to say with no history or level NONE', () => {
    expect(explainIncompatibility(Compatibility.FULL, requiredAdded, [])).toBeUndefined();
    expect(explainIncompatibility(Compatibility.NONE, requiredAdded, [v1])).toBeUndefined();
  });
});
