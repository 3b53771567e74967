// Decodes Confluent wire-format records (magic byte 0, 4-byte schema id, Avro body) with
// the writer schema fetched from the registry by id (cached). Given a reader schema, it
// resolves every writer schema into it, so a service reads every version of a contract as
// the one it was written against; without one (the topic viewer), it reads each record as
// its writer wrote it.
import avro from 'avsc';
import type { SchemaRegistryClient } from '../../registry/client.js';
import { logicalTypes } from '../../registry/logical-types.js';
import { DependencyUnavailableError, PoisonRecordError } from './errors.js';
import { registryLookupFault } from './failure-classification.js';

/** The schema id of a wire-format value; PoisonRecordError for bytes not in that format. */
export function wireFormatSchemaId(bytes: Buffer | null): number {
  if (!bytes || bytes.length < 6) throw new PoisonRecordError(`record value too short for the wire format (${bytes?.length ?? 0} bytes)`);
  if (bytes[0] !== 0) throw new PoisonRecordError(`unknown magic byte ${bytes[0]} (expected 0)`);
  return bytes.readUInt32BE(1);
}

type BodyReader = (body: Buffer) => unknown;

export class AvroDecoder<T> {
  private readonly reader: avro.Type | undefined;
  private readonly readers = new Map<number, BodyReader>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly subject: string,
    /** Unset: each record is decoded with its writer schema as it is. */
    readerSchema?: string,
  ) {
    this.reader = readerSchema === undefined ? undefined : avro.Type.forSchema(JSON.parse(readerSchema) as avro.Schema, { logicalTypes });
  }

  async decode(bytes: Buffer | null): Promise<T> {
    const schemaId = wireFormatSchemaId(bytes);
    const read = this.readers.get(schemaId) ?? (await this.readerFor(schemaId));
    try {
      return read(bytes!.subarray(5)) as T;
    } catch (error) {
      throw new PoisonRecordError(`cannot decode the Avro body with schema id ${schemaId}: ${(error as Error).message}`);
    }
  }

  private async readerFor(schemaId: number): Promise<BodyReader> {
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
    let read: BodyReader;
    try {
      const writer = avro.Type.forSchema(JSON.parse(writerSchema) as avro.Schema, { logicalTypes });
      const reader = this.reader;
      if (reader === undefined || writer.equals(reader)) {
        read = (body) => writer.fromBuffer(body);
      } else {
        const resolver = reader.createResolver(writer);
        read = (body) => reader.fromBuffer(body, resolver);
      }
    } catch (error) {
      throw new PoisonRecordError(`schema id ${schemaId} cannot be read as ${this.reader?.name ?? 'written'}: ${(error as Error).message}`);
    }
    this.readers.set(schemaId, read);
    return read;
  }
}
