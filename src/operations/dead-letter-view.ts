// What `dlq list` shows of a dead letter: where it sits and came from, why it failed, what
// was done with it, and its value decoded against the registry. A value that does not
// decode is often the very reason for the letter: it is shown as bytes with the decoder's
// complaint, never a reason for the listing to fail.
import type { Config } from '../config.js';
import { eventCatalog } from '../events/catalog.js';
import { loadSchemaHistory } from '../events/schema-history.js';
import { valueSubject } from '../events/subjects.js';
import { AvroDecoder } from '../kafka/consumer/avro-decoder.js';
import { DeadLetterHeaders, deadLetterPosition } from '../kafka/consumer/dead-letter.js';
import type { SchemaRegistryClient } from '../registry/client.js';
import { describeMark } from './dead-letter-handling.js';
import type { DeadLetter, HandledLetters, HandledMark } from './dead-letters.js';

const PREVIEW_CHARS = 160;
const HEX_PREVIEW_BYTES = 48;

export interface DeadLetterView {
  readonly position: string;
  readonly key: string | null;
  readonly eventId: string | null;
  readonly userId: string | null;
  readonly error: { readonly type: string | null; readonly message: string | null };
  readonly source: { readonly topic: string | null; readonly partition: number | null; readonly offset: string | null };
  readonly attempts: number | null;
  readonly failedAt: string | null;
  readonly handled: HandledMark | null;
  readonly valueSize: number;
  /** The decoded value; null when it did not decode (see decodeError) or is empty. */
  readonly value: Record<string, unknown> | null;
  readonly decodeError: string | null;
  /** The value's first bytes in hex, when it did not decode. */
  readonly valueHex: string | null;
}

/** Decodes letters by their source topic's contract, one decoder (and registry cache) per topic. */
export class DeadLetterDecoder {
  private readonly decoders = new Map<string, AvroDecoder<Record<string, unknown>> | Error>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly config: Config,
  ) {}

  async view(letter: DeadLetter, handled: HandledLetters): Promise<DeadLetterView> {
    const h = letter.headers;
    const sourceTopic = h[DeadLetterHeaders.sourceTopic] ?? null;
    const decoded = await this.decode(sourceTopic, letter.value);
    const value = 'value' in decoded ? decoded.value : null;
    const decodeError = 'error' in decoded ? decoded.error : null;
    const position = deadLetterPosition(letter);
    return {
      position,
      key: letter.key?.toString() ?? null,
      eventId: stringField(value, 'eventId'),
      userId: stringField(value, 'userId'),
      error: { type: h[DeadLetterHeaders.errorType] ?? null, message: h[DeadLetterHeaders.errorMessage] ?? null },
      source: { topic: sourceTopic, partition: numberOrNull(h[DeadLetterHeaders.sourcePartition]), offset: h[DeadLetterHeaders.sourceOffset] ?? null },
      attempts: numberOrNull(h[DeadLetterHeaders.attempts]),
      failedAt: h[DeadLetterHeaders.failedAt] ?? null,
      handled: handled.get(position) ?? null,
      valueSize: letter.value?.length ?? 0,
      value,
      decodeError,
      valueHex: decodeError === null ? null : hexPreview(letter.value),
    };
  }

  private async decode(sourceTopic: string | null, bytes: Buffer | null): Promise<{ value: Record<string, unknown> } | { error: string }> {
    if (sourceTopic === null) return { error: `no ${DeadLetterHeaders.sourceTopic} header: the contract is unknown` };
    const decoder = this.decoderFor(sourceTopic);
    if (decoder instanceof Error) return { error: decoder.message };
    try {
      return { value: await decoder.decode(bytes) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private decoderFor(topic: string): AvroDecoder<Record<string, unknown>> | Error {
    let decoder = this.decoders.get(topic);
    if (!decoder) {
      const contract = eventCatalog(this.config).find((c) => c.topic.name === topic);
      decoder = contract
        ? new AvroDecoder(this.registry, valueSubject(topic), loadSchemaHistory(contract.event).latest.schema)
        : new Error(`no event contract for topic ${topic}`);
      this.decoders.set(topic, decoder);
    }
    return decoder;
  }
}

/** The value as one line of JSON, cut to PREVIEW_CHARS. */
export function valuePreview(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? 'null';
  return json.length <= PREVIEW_CHARS ? json : `${json.slice(0, PREVIEW_CHARS - 1)}…`;
}

/** Human lines for one letter: its identity and status, why it failed, where from, and its value. */
export function formatLetter(view: DeadLetterView): string {
  const ids = [`key ${view.key ?? '(none)'}`, view.eventId && `event ${view.eventId}`, view.userId && `user ${view.userId}`].filter(Boolean).join('  ');
  const status = view.handled ? `HANDLED: ${describeMark(view.handled)}` : 'waiting';
  const source = `${view.source.topic ?? '?'}/${view.source.partition ?? '?'}/${view.source.offset ?? '?'}`;
  const value =
    view.decodeError === null
      ? `value ${valuePreview(view.value)}`
      : `value (${view.valueSize} bytes, not decoded: ${view.decodeError}) ${view.valueHex ?? ''}`.trimEnd();
  return (
    `${view.position}  ${ids}  [${status}]\n` +
    `    ${view.error.type ?? '?'}: ${view.error.message ?? ''}\n` +
    `    from ${source} after ${view.attempts ?? '?'} attempt(s) at ${view.failedAt ?? '?'}\n` +
    `    ${value}\n`
  );
}

function hexPreview(bytes: Buffer | null): string {
  if (!bytes || bytes.length === 0) return '(empty)';
  const shown = bytes.subarray(0, HEX_PREVIEW_BYTES).toString('hex');
  return `0x${shown}${bytes.length > HEX_PREVIEW_BYTES ? '…' : ''}`;
}

function stringField(value: Record<string, unknown> | null, field: string): string | null {
  const v = value?.[field];
  return typeof v === 'string' ? v : null;
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined || text === '' || Number.isNaN(Number(text)) ? null : Number(text);
}
