import { describe, expect, it } from 'vitest';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { AvroEncoder, AvroEncodingError } from '../../src/registry/avro-encoder.js';

const encoder = new AvroEncoder(0x01020304, loadSchemaHistory(USER_SIGNED_UP).latest.schema);
const event = { eventId: '0190a0b0-0000-7000-8000-000000000001', userId: '0190a0b0-0000-7000-8000-000000000002', email: 'a@example.com', username: 'alice', occurredAt: new Date(0), locale: null };

describe('AvroEncoder', () => {
  it('frames the Avro body with magic byte 0 and the big-endian schema id', () => {
    const bytes = encoder.encode(event);
    expect([...bytes.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(bytes.length).toBeGreaterThan(5 + event.email.length + event.username.length);
  });

  it('names the offending field when a value does not fit the schema', () => {
    expect(() => encoder.encode({ ...event, username: 42 })).toThrow(AvroEncodingError);
    expect(() => encoder.encode({ ...event, username: 42 })).toThrow(/username: expected string/);
  });
});
