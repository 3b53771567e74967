// Publishes one kind of Avro event to one topic: serialized with the writer schema this
// build ships (pinned by its registered id), keyed for per-key ordering, acknowledged by
// all in-sync replicas before publish() resolves.
import { valueSubject } from '../events/subjects.js';
import type { SchemaVersion } from '../events/schema-history.js';
import type { Logger } from '../logger.js';
import type { ApiMetrics } from '../observability/metrics.js';
import { AvroEncoder } from '../registry/avro-encoder.js';
import type { SchemaRegistryClient } from '../registry/client.js';
import { registeredSchemaId } from '../registry/schema-id.js';
import { UnavailableError } from './errors.js';
import type { Producer, RecordMetadata } from './producer.js';

export interface EventPublisherOptions {
  readonly producer: Producer;
  readonly registry: SchemaRegistryClient;
  readonly topic: string;
  /** The schema this process writes; it must already be registered under `<topic>-value`. */
  readonly schema: SchemaVersion;
  readonly logger: Logger;
  /** Pause between attempts to resolve the schema id while the registry is unreachable. */
  readonly resolveRetryMs?: number;
  readonly metrics?: Pick<ApiMetrics, 'produceSeconds' | 'produceErrors'>;
}

export class EventPublisher<T> {
  private encoder: AvroEncoder<T> | undefined;
  private lastResolveError: Error | undefined;
  private stopped = false;

  constructor(private readonly options: EventPublisherOptions) {}

  /** The registered id of the writer schema, once known. */
  get schemaId(): number | undefined {
    return this.encoder?.schemaId;
  }

  /** Why the schema id is not known yet, when it is not. */
  get schemaProblem(): string | undefined {
    return this.encoder ? undefined : (this.lastResolveError?.message ?? 'schema id not resolved yet');
  }

  /**
   * Looks the writer schema's id up in the registry, retrying until it succeeds or stop()
   * is called. Once known it is kept for the life of the process, so a registry outage
   * after start-up does not stop publishing.
   */
  async resolveSchema(): Promise<void> {
    const { registry, topic, schema, logger } = this.options;
    const subject = valueSubject(topic);
    while (!this.stopped && !this.encoder) {
      try {
        const id = await registeredSchemaId(registry, subject, schema);
        this.encoder = new AvroEncoder<T>(id, schema.schema);
        logger.info({ subject, schemaId: id, file: schema.file }, 'writer schema resolved');
      } catch (error) {
        this.lastResolveError = error as Error;
        logger.warn({ subject, err: this.lastResolveError }, 'cannot resolve the writer schema id yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.options.resolveRetryMs ?? 2000));
      }
    }
  }

  async publish(key: string, value: T, headers: Record<string, string>): Promise<RecordMetadata> {
    const encoder = this.encoder;
    if (!encoder) {
      throw new UnavailableError('schema-registry', `cannot publish yet: ${this.schemaProblem}`);
    }
    const bytes = encoder.encode(value);
    const labels = { topic: this.options.topic };
    const stopTimer = this.options.metrics?.produceSeconds.startTimer(labels);
    try {
      const [metadata] = await this.options.producer.send({
        topic: this.options.topic,
        messages: [{ key, value: bytes, headers }],
      });
      stopTimer?.();
      return metadata!;
    } catch (error) {
      this.options.metrics?.produceErrors.inc(labels);
      // Every produce failure here is Kafka's state, not the caller's input: a timeout, a
      // full local queue, an unknown topic. The caller may retry the same request safely.
      throw new UnavailableError('kafka', `Kafka did not acknowledge the event: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
