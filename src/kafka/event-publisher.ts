// Publishes one kind of Avro event to one topic: serialized with the writer schema this
// build ships (pinned by its registered id), keyed for per-key ordering, acknowledged by
// all in-sync replicas before publish() resolves.
import { setTimeout as sleep } from 'node:timers/promises';
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
  /**
   * How long publish() waits for the acknowledgement before it fails (the request's 503).
   * The send itself goes on until the producer's own, longer, delivery timeout.
   */
  readonly answerWithinMs: number;
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
        await sleep(this.options.resolveRetryMs ?? 2000);
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
    const sending = this.options.producer.send({ topic: this.options.topic, messages: [{ key, value: bytes, headers }] });
    // The caller gets its answer within answerWithinMs, but the send is not cut short: a
    // message that librdkafka times out while in flight forces an idempotent epoch bump, which
    // can duplicate batches during a leader failover. A late acknowledgement only means the
    // 503'd event did land; clients retry with an Idempotency-Key, which gives the same ids.
    let timer: NodeJS.Timeout | undefined;
    const answerDeadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.options.answerWithinMs} ms`)), this.options.answerWithinMs);
    });
    try {
      const [metadata] = await Promise.race([sending, answerDeadline]);
      stopTimer?.();
      return metadata!;
    } catch (error) {
      this.options.metrics?.produceErrors.inc(labels);
      sending.catch((late: unknown) => this.options.logger.warn({ err: late, key }, 'event not delivered'));
      // Every produce failure here is Kafka's state, not the caller's input: a timeout, a
      // full local queue, an unknown topic. The caller may retry the same request safely.
      throw new UnavailableError('kafka', `Kafka did not acknowledge the event: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
