// The schema-registry client library, loaded by its parts. The package's index also loads
// every field-encryption driver it ships (the AWS, Azure, Google Cloud and Vault SDKs), CEL
// and JSONata: about 50 MB of resident memory and 2.5 s of start-up in every process, none
// of which an Avro producer or consumer uses. Measured on this project's machine: the index
// alone 90 MB and 3.0 s; these modules 41 MB and 0.6 s. The package has no exports map, so
// these paths are its published files; the rest of the project imports the library from here.
export {
  Compatibility,
  SchemaRegistryClient,
  type SchemaInfo,
} from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
export { AvroDeserializer, AvroSerializer } from '@confluentinc/schemaregistry/dist/serde/avro.js';
export { SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry/dist/serde/serde.js';
export { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
