// One record's way through the runtime, the same in every delivery mode: decode it against
// the registry, hand it to the service, and turn a failure into what to do next (retry
// after a back-off, or dead-letter now). It never throws; the outcome says what happened.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { Headers } from '../../events/headers.js';
import type { Logger } from '../../logger.js';
import type { ConsumerMetrics } from '../../observability/metrics.js';
import { AvroDecoder } from './avro-decoder.js';
import { DeadLetterHeaders, deadLetterMessage } from './dead-letter.js';
import { decideOnFailure, type RetryPolicy } from './errors.js';
import { RecordLogger } from './record-logger.js';
import type { DecodedRecord, RecordConsumerService, RecordContext } from './service.js';

export interface OutgoingMessage {
  readonly topic: string;
  readonly message: KafkaJS.Message;
}

export type RecordOutcome =
  | { readonly kind: 'done'; readonly outputs: readonly OutgoingMessage[] }
  | { readonly kind: 'dead-letter'; readonly letter: OutgoingMessage }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: unknown };

export type FailureOutcome = Exclude<RecordOutcome, { kind: 'done' }>;

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaJS.KafkaMessage;
}

export interface RecordProcessorOptions {
  readonly groupId: string;
  readonly dlqTopic: string;
  readonly decoder: AvroDecoder<unknown>;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly metrics?: ConsumerMetrics | undefined;
  readonly labels: { readonly group: string; readonly topic: string };
}

export const recordKey = (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`;
export const nextOffset = (offset: string) => String(BigInt(offset) + 1n);

export class RecordProcessor<T> {
  /** Failed attempts per record still being retried; empty unless something failed. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly options: RecordProcessorOptions) {}

  /**
   * A dead letter re-published for another group: this group handled the original already.
   * Logged and counted per named group, so that a letter naming a group nobody runs shows.
   */
  isReplayForAnotherGroup(message: KafkaJS.KafkaMessage): boolean {
    const replayFor = message.headers?.[DeadLetterHeaders.replayForGroup];
    if (replayFor === undefined || String(replayFor) === this.options.groupId) return false;
    const { metrics, labels, logger } = this.options;
    metrics?.skippedReplays.inc({ ...labels, for_group: String(replayFor) });
    logger.info({ offset: message.offset, forGroup: String(replayFor) }, 're-published dead letter for another group; skipping');
    return true;
  }

  /** Decodes one record into the event and its context; a failure becomes the outcome to act on. */
  async decode(topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<{ readonly kind: 'decoded'; readonly record: DecodedRecord<T> } | FailureOutcome> {
    // No key is built on the happy path.
    const attempt = this.attempts.size === 0 ? 1 : (this.attempts.get(recordKey(topic, partition, message.offset)) ?? 0) + 1;
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const bindings = { topic, partition, offset: message.offset, reqId: headers[Headers.requestId], traceparent: headers[Headers.traceparent] };
    const { logger } = this.options;
    try {
      const event = (await this.options.decoder.decode(message.value)) as T;
      const context: RecordContext = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        headers,
        attempt,
        logger: new RecordLogger(logger, { ...bindings, eventId: (event as { eventId?: string }).eventId }),
      };
      return { kind: 'decoded', record: { event, context } };
    } catch (error) {
      return this.fail(error, { topic, partition, message }, attempt, new RecordLogger(logger, bindings));
    }
  }

  /** Decodes and handles one record with a per-record handler; output records only where `outputsAllowed` (transactional mode). */
  async process(
    handle: RecordConsumerService<T>['handle'],
    topic: string,
    partition: number,
    message: KafkaJS.KafkaMessage,
    outputsAllowed: boolean,
  ): Promise<RecordOutcome> {
    if (this.isReplayForAnotherGroup(message)) return { kind: 'done', outputs: [] };
    const { metrics, labels } = this.options;
    const stopTimer = metrics?.handlerSeconds.startTimer(labels);
    const decoded = await this.decode(topic, partition, message);
    if (decoded.kind !== 'decoded') return decoded;
    const { event, context } = decoded.record;
    try {
      const outputs = (await handle(event, context)) ?? [];
      if (outputs.length > 0 && !outputsAllowed) throw new Error(`the handler returned output records outside transactional mode`);
      this.succeeded(topic, partition, message.offset);
      stopTimer?.();
      metrics?.handled.inc(labels);
      return {
        kind: 'done',
        outputs: outputs.map((o) => ({
          topic: o.topic,
          message: { key: o.key, value: o.value, headers: o.headers ?? {}, ...(o.partition === undefined ? {} : { partition: o.partition }) },
        })),
      };
    } catch (error) {
      return this.fail(error, { topic, partition, message }, context.attempt, context.logger);
    }
  }

  /** Counts the failed attempt and says whether to retry the record later or dead-letter it now. */
  fail(error: unknown, record: SourceRecord, attempt: number, recordLogger: RecordLogger): FailureOutcome {
    const { metrics, labels, retry, groupId, dlqTopic } = this.options;
    const key = recordKey(record.topic, record.partition, record.message.offset);
    const decision = decideOnFailure(error, attempt, retry);
    if (decision.action === 'retry') {
      metrics?.retried.inc(labels);
      this.attempts.set(key, attempt);
      recordLogger.warn({ err: error, attempt, retryInMs: decision.delayMs }, 'record failed; retrying after back-off');
      return { kind: 'retry', delayMs: decision.delayMs, error };
    }
    this.attempts.delete(key);
    metrics?.deadLettered.inc(labels);
    recordLogger.error({ err: error, attempts: attempt, dlq: dlqTopic }, 'record dead-lettered');
    return { kind: 'dead-letter', letter: { topic: dlqTopic, message: deadLetterMessage(record, error, groupId, attempt) } };
  }

  /** The record is handled: its failed attempts, if any, are forgotten. */
  succeeded(topic: string, partition: number, offset: string): void {
    if (this.attempts.size > 0) this.attempts.delete(recordKey(topic, partition, offset));
  }
}
