// Finds the id under which a schema this build ships is registered. Producers pin their
// writer schema by this id; they never register schemas themselves.
import { RestError } from './library.js';
import type { SchemaVersion } from '../events/schema-history.js';
import type { SchemaRegistryClient } from './client.js';

export async function registeredSchemaId(registry: SchemaRegistryClient, subject: string, schema: SchemaVersion): Promise<number> {
  try {
    return await registry.getId(subject, { schemaType: 'AVRO', schema: schema.schema });
  } catch (error) {
    if (error instanceof RestError && error.status === 404) {
      throw new Error(`the schema in ${schema.file} is not registered under subject ${subject}; run scripts/register-schemas`, { cause: error });
    }
    throw new Error(`schema registry unreachable while resolving ${subject}: ${(error as Error).message}`, { cause: error });
  }
}
