// Avro logical types the event contracts use, mapped to JavaScript values. Without these,
// avsc reads a `timestamp-millis` as a plain number and refuses a Date when writing.
import avro from 'avsc';

/** `long` + `timestamp-millis` ⇄ Date. */
export class TimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(millis: number): Date {
    return new Date(millis);
  }

  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    // A number is accepted as-is so that records decoded elsewhere can be re-encoded.
    return typeof value === 'number' ? value : undefined;
  }

  protected override _resolve(type: avro.Type): ((value: number) => number) | undefined {
    // A writer that used a plain long (or the same logical type) is readable.
    if (avro.Type.isType(type, 'long', 'logical:timestamp-millis')) return (value) => value;
    return undefined;
  }
}

export const logicalTypes = { 'timestamp-millis': TimestampMillis };
