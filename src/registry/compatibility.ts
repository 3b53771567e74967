// Explains, in words, why a schema breaks a compatibility level: registries answer only
// "incompatible" (Apicurio) or terse messages (Confluent), so the reason is worked out
// locally with avsc's schema resolution, which follows the Avro specification's rules.
import avro from 'avsc';
import { Compatibility } from './library.js';

export interface NamedSchema {
  readonly label: string;
  readonly schema: string;
}

/** The first reason `candidate` breaks `level` against the `previous` versions (oldest first), if any. */
export function explainIncompatibility(
  level: Compatibility,
  candidate: NamedSchema,
  previous: readonly NamedSchema[],
): string | undefined {
  if (previous.length === 0 || level === Compatibility.NONE) return undefined;
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const old of against) {
    if (backward) {
      const reason = cannotRead(candidate, old);
      if (reason) return `${candidate.label} cannot read data written with ${old.label}: ${reason}`;
    }
    if (forward) {
      const reason = cannotRead(old, candidate);
      if (reason) return `${old.label} cannot read data written with ${candidate.label}: ${reason}`;
    }
  }
  return undefined;
}

function cannotRead(reader: NamedSchema, writer: NamedSchema): string | undefined {
  const [readerType, writerType] = [parse(reader.schema), parse(writer.schema)];
  try {
    readerType.createResolver(writerType);
    return undefined;
  } catch (error) {
    // avsc names the types that clash but not where they are: the field's path says that.
    const path = unresolvableField(readerType, writerType);
    return path === undefined ? (error as Error).message : `field ${path}: ${(error as Error).message}`;
  }
}

/** The dotted path of the first field both records have whose types do not resolve. */
function unresolvableField(reader: avro.Type, writer: avro.Type, prefix = ''): string | undefined {
  if (!(reader instanceof avro.types.RecordType) || !(writer instanceof avro.types.RecordType)) return undefined;
  for (const field of reader.fields) {
    const written = writer.fields.find((candidate) => candidate.name === field.name || field.aliases.includes(candidate.name));
    if (written === undefined) continue; // a missing field: avsc's message names it already
    try {
      field.type.createResolver(written.type);
    } catch {
      return unresolvableField(field.type, written.type, `${prefix}${field.name}.`) ?? `${prefix}${field.name}`;
    }
  }
  return undefined;
}

// Logical types are checked on their underlying types, as registries do.
const parse = (schema: string) => avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { logicalTypes: {} });
