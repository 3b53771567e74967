// The logic behind scripts/topic: any topic's records with their Avro values decoded against
// the writer schema the registry holds for each record's schema id. It reads without a
// consumer group (partitions are assigned; nothing is committed, no group is created), and a
// value that cannot be decoded is shown with its error and its first bytes instead of
// ending the read.
import type { KafkaJS, Message } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { AvroDecoder, wireFormatSchemaId } from '../kafka/consumer/avro-decoder.js';
import { readPartitionToEnd } from '../kafka/partition-reader.js';
import { followPartitions } from '../kafka/topic-follower.js';
import type { Watermarks } from '../kafka/topic-reader.js';
import type { SchemaRegistryClient } from '../registry/client.js';
import { valueSubject } from '../events/subjects.js';

export class TopicViewError extends Error {
  override readonly name = 'TopicViewError';
}

export interface ViewedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string | null;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly schemaId: number | null;
  readonly value?: unknown;
  readonly valueError?: string;
  readonly valueBytes?: number;
  readonly valueHex?: string;
}

export interface ViewOptions {
  readonly topic: string;
  /** Only this partition; unset: every partition. */
  readonly partition?: number;
  /** false: aborted transactions' records too. */
  readonly readCommitted: boolean;
}

export type DumpStart = { readonly kind: 'beginning' } | { readonly kind: 'offset'; readonly offset: number } | { readonly kind: 'time'; readonly at: Date };

export interface DumpOptions extends ViewOptions {
  readonly start: DumpStart;
  /** Most records shown in all; unset: every one. */
  readonly limit?: number;
}

export interface TailOptions extends ViewOptions {
  /** Records (offsets) shown from before the start, per partition. */
  readonly last: number;
  readonly signal: AbortSignal;
}

/** Bytes of an undecodable value shown as hex. */
const PREVIEW_BYTES = 64;
/** A dump waits at most this long for one partition (read_committed waits out open transactions). */
const PARTITION_READ_TIMEOUT_MS = 300_000;
const CONNECT_TIMEOUT_MS = 15_000;

export class TopicViewer {
  private readonly decoder: AvroDecoder<unknown>;

  constructor(
    private readonly kafka: Config['kafka'],
    private readonly admin: KafkaJS.Admin,
    registry: SchemaRegistryClient,
    private readonly topic: string,
  ) {
    this.decoder = new AvroDecoder(registry, valueSubject(topic));
  }

  /** Every record from the start to each partition's end when its read begins, partition by partition. */
  async dump(options: DumpOptions, show: (record: ViewedRecord) => void): Promise<void> {
    const watermarks = await this.watermarks(options.partition);
    const starts = await this.dumpStarts(watermarks, options.start);
    let shown = 0;
    for (const w of watermarks) {
      const from = starts.get(w.partition)!;
      if (options.limit !== undefined && shown >= options.limit) return;
      // An offset past the end would make the reader fall back to the beginning.
      if (from >= Number(w.high)) continue;
      await readPartitionToEnd(this.kafka, this.topic, w.partition, { readCommitted: options.readCommitted, from, timeoutMs: PARTITION_READ_TIMEOUT_MS }, async (message) => {
        show(await this.view(message));
        shown++;
        return options.limit !== undefined && shown >= options.limit ? 'stop' : undefined;
      });
    }
  }

  /** The last `last` offsets of each partition, then every new record until the signal aborts. */
  async tail(options: TailOptions, following: (starts: ReadonlyMap<number, number>) => void, show: (record: ViewedRecord) => void): Promise<void> {
    const watermarks = await this.watermarks(options.partition);
    const starts = new Map(watermarks.map((w) => [w.partition, Math.max(Number(w.low), Number(w.high) - options.last)]));
    following(starts);
    await followPartitions(this.kafka, this.topic, starts, { readCommitted: options.readCommitted, connectTimeoutMs: CONNECT_TIMEOUT_MS, signal: options.signal }, async (message) =>
      show(await this.view(message)),
    );
  }

  private async watermarks(partition: number | undefined): Promise<Watermarks> {
    let all: Watermarks;
    try {
      all = await this.admin.fetchTopicOffsets(this.topic);
    } catch (error) {
      if ((error as { type?: unknown }).type === 'ERR_UNKNOWN_TOPIC_OR_PART') throw new TopicViewError(`topic ${this.topic} does not exist`);
      throw error;
    }
    const sorted = [...all].sort((a, b) => a.partition - b.partition);
    if (partition === undefined) return sorted;
    const one = sorted.filter((w) => w.partition === partition);
    if (one.length === 0) throw new TopicViewError(`topic ${this.topic} has no partition ${partition} (it has 0–${sorted.length - 1})`);
    return one;
  }

  private async dumpStarts(watermarks: Watermarks, start: DumpStart): Promise<Map<number, number>> {
    switch (start.kind) {
      case 'beginning':
        return new Map(watermarks.map((w) => [w.partition, Number(w.low)]));
      case 'offset':
        return new Map(watermarks.map((w) => [w.partition, Math.max(Number(w.low), start.offset)]));
      case 'time': {
        // Partitions with nothing at or after the time answer their end offset.
        const byTime = await this.admin.fetchTopicOffsetsByTimestamp(this.topic, start.at.getTime());
        return new Map(byTime.map((entry) => [entry.partition, Number(entry.offset)]));
      }
    }
  }

  private async view(message: Message): Promise<ViewedRecord> {
    const base = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp !== undefined && message.timestamp >= 0 ? new Date(message.timestamp).toISOString() : null,
      key: message.key === undefined || message.key === null ? null : Buffer.from(message.key).toString('utf8'),
      headers: Object.fromEntries((message.headers ?? []).flatMap((h) => Object.entries(h)).map(([k, v]) => [k, v.toString()])),
    };
    const bytes = message.value;
    // A tombstone: no value is a value, not an error.
    if (bytes === null) return { ...base, schemaId: null, value: null };
    let schemaId: number | null = null;
    try {
      schemaId = wireFormatSchemaId(bytes);
      return { ...base, schemaId, value: await this.decoder.decode(bytes) };
    } catch (error) {
      const preview = bytes.subarray(0, PREVIEW_BYTES).toString('hex');
      return { ...base, schemaId, valueError: (error as Error).message, valueBytes: bytes.length, valueHex: bytes.length > PREVIEW_BYTES ? `${preview}…` : preview };
    }
  }
}

/** A record as one line of JSON (or indented): dates as ISO strings, bytes as base64. */
export function recordAsJson(record: ViewedRecord, pretty: boolean): string {
  return JSON.stringify(
    record,
    function (this: Record<string, unknown>, key: string, value: unknown) {
      // JSON.stringify hands a Buffer to the replacer already turned into {type, data}.
      const raw = this[key];
      if (Buffer.isBuffer(raw)) return raw.toString('base64');
      return typeof value === 'bigint' ? value.toString() : value;
    },
    pretty ? 2 : undefined,
  );
}
