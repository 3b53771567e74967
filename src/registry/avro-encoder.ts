// Encodes events in the Confluent wire format (magic byte 0, the 4-byte registered schema
// id, the Avro body) with a writer schema pinned by its id. The registry client's
// AvroSerializer writes the same bytes (a test compares them) but looks the schema up
// and walks it on every call; this one compiles the schema once.
import avro from 'avsc';
import { logicalTypes } from './logical-types.js';

export class AvroEncodingError extends Error {
  override readonly name = 'AvroEncodingError';
}

export class AvroEncoder<T> {
  private readonly type: avro.Type;
  private readonly header: Buffer;

  constructor(
    readonly schemaId: number,
    schema: string,
  ) {
    this.type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { logicalTypes });
    this.header = Buffer.alloc(5);
    this.header.writeUInt32BE(schemaId, 1);
  }

  encode(value: T): Buffer {
    try {
      return Buffer.concat([this.header, this.type.toBuffer(value)]);
    } catch (error) {
      // Only on failure: walk the value for a message that names the field.
      const problems: string[] = [];
      this.type.isValid(value, { errorHook: (path, _value, type) => problems.push(`${path.join('.') || '(value)'}: expected ${type.typeName}`) });
      throw new AvroEncodingError(`cannot encode as schema id ${this.schemaId}: ${problems.join('; ') || (error as Error).message}`, { cause: error });
    }
  }
}
