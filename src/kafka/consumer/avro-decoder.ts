// Decodes Confluent wire-format records (magic byte 0, 4-byte schema id, Avro body) with
// the writer schema fetched from the registry by id (cached) and resolved into the
// service's own reader schema, so a service reads every version of a contract as the one
// it was written against.
import avro from 'avsc';
import type { SchemaRegistryClient } from '../../registry/client.js';
import { logicalTypes } from '../../registry/logical-types.js';
import { DependencyUnavailableError, PoisonRecordError } from './errors.js';
import { registryLookupFault } from './failure-classification.js';

export class AvroDecoder<T> {
  private readonly reader: avro.Type;
  private readonly resolvers = new Map<number, avro.Resolver | 'same'>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly subject: string,
    readerSchema: string,
  ) {
    this.reader = avro.Type.forSchema(JSON.parse(readerSchema) as avro.Schema, { logicalTypes });
  }

  async decode(bytes: Buffer | null): Promise<T> {
    if (!bytes || bytes.length < 6) throw new PoisonRecordError(`record value too short for the wire format (${bytes?.length ?? 0} bytes)`);
    if (bytes[0] !== 0) throw new PoisonRecordError(`unknown magic byte ${bytes[0]} (expected 0)`);
    const schemaId = bytes.readUInt32BE(1);
    const resolver = this.resolvers.get(schemaId) ?? (await this.resolverFor(schemaId));
    try {
      return (resolver === 'same' ? this.reader.fromBuffer(bytes.subarray(5)) : this.reader.fromBuffer(bytes.subarray(5), resolver)) as T;
    } catch (error) {
      throw new PoisonRecordError(`cannot decode the Avro body with schema id ${schemaId}: ${(error as Error).message}`);
    }
  }

  private async resolverFor(schemaId: number): Promise<avro.Resolver | 'same'> {
    let writerSchema: string;
    try {
      writerSchema = (await this.registry.getBySubjectAndId(this.subject, schemaId)).schema;
    } catch (error) {
      if (registryLookupFault(error) === 'record') {
        throw new PoisonRecordError(`schema id ${schemaId} is unknown to the registry`);
      }
      // The registry being down, or a proxy in front of it answering, is not the record's
      // fault: wait for it, do not dead-letter.
      throw new DependencyUnavailableError('schema-registry', `cannot fetch schema id ${schemaId}: ${(error as Error).message}`, { cause: error });
    }
    let resolver: avro.Resolver | 'same';
    try {
      const writer = avro.Type.forSchema(JSON.parse(writerSchema) as avro.Schema, { logicalTypes });
      resolver = writer.equals(this.reader) ? 'same' : this.reader.createResolver(writer);
    } catch (error) {
      throw new PoisonRecordError(`schema id ${schemaId} cannot be read as ${this.reader.name ?? 'the reader schema'}: ${(error as Error).message}`);
    }
    this.resolvers.set(schemaId, resolver);
    return resolver;
  }
}
