// The schema-registry client and the Avro serdes, configured the same way for every
// process. Works against Confluent Schema Registry and Apicurio's ccompat API alike.
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
  SubjectNameStrategyType,
} from './library.js';
import type { Config } from '../config.js';
import { logicalTypes } from './logical-types.js';

export type { SchemaRegistryClient };

/** Bounded: a registry that is down must give a clear error, not a long stall. */
const PATIENCE = { timeoutMs: 5000, maxRetries: 2 };

export function createRegistryClient(config: Config['registry'], patience: { readonly timeoutMs: number; readonly maxRetries: number } = PATIENCE): SchemaRegistryClient {
  return new SchemaRegistryClient({
    baseURLs: [config.url],
    maxRetries: patience.maxRetries,
    retriesWaitMs: 200,
    retriesMaxWaitMs: 1000,
    createAxiosDefaults: { timeout: patience.timeoutMs },
    ...(config.basicAuth
      ? { basicAuthCredentials: { credentialsSource: 'USER_INFO' as const, userInfo: `${config.basicAuth.username}:${config.basicAuth.password}` } }
      : {}),
  });
}

/**
 * A value serializer pinned to one registered schema id. It writes the Confluent wire format
 * (magic byte 0, 4-byte schema id, Avro body) and never registers schemas itself:
 * registration is scripts/register-schemas' job, so a producer cannot publish a contract
 * that skipped the compatibility check, and a schema registered later by someone else
 * cannot change what this process writes.
 */
export function createValueSerializer(client: SchemaRegistryClient, schemaId: number): AvroSerializer {
  return new AvroSerializer(client, SerdeType.VALUE, {
    autoRegisterSchemas: false,
    useSchemaId: schemaId,
    // Topic-name strategy, stated explicitly: the client's default (ASSOCIATED) asks the
    // registry for an association API that only Confluent's registry has.
    subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
    logicalTypes,
  });
}

/** A value deserializer that fetches the writer schema by the id in each record (cached). */
export function createValueDeserializer(client: SchemaRegistryClient): AvroDeserializer {
  return new AvroDeserializer(client, SerdeType.VALUE, {
    subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
    logicalTypes,
  });
}
