// The one consumer runtime every service runs on. It owns the mechanics — polling,
// decoding against the registry, commits, retries with back-off, dead-lettering,
// rebalances and shutdown — so that a service is a handler that receives one decoded event.
//
// Delivery: at-least-once. A record's offset is stored for commit only after its handler
// succeeded (or it was dead-lettered), so a crash redelivers it; handlers are idempotent by
// eventId, which makes the effects happen once. In transactional mode the handler's output
// records and the input offset commit in one Kafka transaction: exactly once for
// read_committed readers.
import { randomUUID } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { Headers } from '../../events/headers.js';
import type { Logger } from '../../logger.js';
import type { SchemaRegistryClient } from '../../registry/client.js';
import { KAFKA_STATS_INTERVAL_MS, type ConsumerMetrics } from '../../observability/metrics.js';
import { valueSubject } from '../../events/subjects.js';
import type { Kafka } from '../client.js';
import { createIdempotentProducer, type Producer } from '../producer.js';
import { AvroDecoder } from './avro-decoder.js';
import { deadLetterMessage, deadLetterTopic } from './dead-letter.js';
import { decideOnFailure, type RetryPolicy } from './errors.js';

export interface RecordContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  /** A logger carrying the record's coordinates, request id and trace id. */
  readonly logger: Logger;
}

export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers?: Record<string, string>;
}

export interface ConsumerService<T> {
  /** Short name for logs: email, analytics, … */
  readonly name: string;
  readonly groupId: string;
  readonly topic: string;
  /** The Avro schema (text) this service reads every version of the contract as. */
  readonly readerSchema: string;
  /** Only committed transactional records (for consumers of transactional producers). */
  readonly readCommitted?: boolean;
  /**
   * Handles one event. Must be idempotent by the event's id: the same record can arrive
   * more than once. In transactional mode, what it returns is produced in the transaction
   * that also commits the input offset.
   */
  handle(event: T, context: RecordContext): Promise<readonly OutgoingRecord[] | void>;
  /**
   * For services that keep their offsets in their own database (in the same transaction as
   * their effects): the next offset to read for each partition they know. The runtime
   * starts each newly assigned partition there.
   */
  storedOffsets?(partitions: readonly number[]): Promise<ReadonlyMap<number, string>>;
}

export interface ConsumerRuntimeOptions {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly produceTimeoutMs: number;
  /** Consume-transform-produce with Kafka transactions (onboarding). */
  readonly transactional?: { readonly transactionalId: string };
  /** Partitions handled concurrently (ordering still holds within each partition). */
  readonly partitionsConsumedConcurrently?: number;
  readonly metrics?: ConsumerMetrics;
  /** Receives librdkafka's statistics of the consumer (see observability/metrics). */
  readonly statsCallback?: (event: { message: string }) => void;
}

export interface RunningConsumer {
  /** Finishes the record in hand, commits, leaves the group. */
  stop(): Promise<void>;
  /** Partitions currently assigned to this instance. */
  assignment(): KafkaJS.TopicPartition[];
  /** When librdkafka last reported statistics: its threads are alive and polling. */
  lastStatsAt(): number | undefined;
}

const ERR_ASSIGN_PARTITIONS = -175;

interface OutgoingMessage {
  readonly topic: string;
  readonly message: KafkaJS.Message;
}

type RecordOutcome =
  | { readonly kind: 'done'; readonly outputs: readonly OutgoingMessage[] }
  | { readonly kind: 'dead-letter'; readonly letter: OutgoingMessage }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: unknown };

export async function runConsumer<T>(service: ConsumerService<T>, options: ConsumerRuntimeOptions): Promise<RunningConsumer> {
  const logger = options.logger.child({ consumerGroup: service.groupId });
  const decoder = new AvroDecoder<T>(options.registry, valueSubject(service.topic), service.readerSchema);
  const attempts = new Map<string, number>();
  const retryTimers = new Set<NodeJS.Timeout>();
  const transactional = options.transactional !== undefined;
  const dlqTopic = deadLetterTopic(service.groupId);
  const labels = { group: service.groupId, topic: service.topic };
  let lastStatsAt: number | undefined;
  const onStats = (event: { message: string }) => {
    lastStatsAt = Date.now();
    options.statsCallback?.(event);
  };

  const consumer = options.kafka.consumer({
    kafkaJS: {
      groupId: service.groupId,
      fromBeginning: true,
      // Offsets are stored only for records whose handler finished (or that were
      // dead-lettered), then committed in the background and on revoke and shutdown.
      // In transactional mode the transaction commits them instead.
      autoCommit: !transactional,
      autoCommitInterval: 1000,
      readUncommitted: !service.readCommitted,
    },
    ...(service.storedOffsets ? { rebalance_cb: startFromStoredOffsets(service, logger) } : {}),
    stats_cb: onStats,
    'statistics.interval.ms': KAFKA_STATS_INTERVAL_MS,
  });

  // Dead letters and transactional output share one producer per consumer process.
  const producer: Producer = createIdempotentProducer(options.kafka, {
    lingerMs: 5,
    deliveryTimeoutMs: options.produceTimeoutMs,
    ...(options.transactional ? { transactionalId: options.transactional.transactionalId } : {}),
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [service.topic] });

  /** Produces `records` and commits the input position (the offset after `lastOffset`) atomically. */
  const commitInTransaction = async (topic: string, partition: number, lastOffset: string, records: readonly OutgoingMessage[]) => {
    const transaction = await producer.transaction();
    try {
      if (records.length > 0) {
        // One request for the whole batch: awaiting each send would wait for each ack in turn.
        const byTopic = new Map<string, KafkaJS.Message[]>();
        for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record.message]);
        await transaction.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      }
      await transaction.sendOffsets({
        consumer,
        // The committed offset is the next one to read, hence + 1.
        topics: [{ topic, partitions: [{ partition, offset: String(BigInt(lastOffset) + 1n) }] }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => logger.warn({ err: abortError }, 'transaction abort failed'));
      throw error;
    }
  };

  /** Decodes and handles one record; never throws: the outcome says what the caller must do. */
  const processRecord = async (topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<RecordOutcome> => {
    const recordKey = `${topic}/${partition}/${message.offset}`;
    const attempt = (attempts.get(recordKey) ?? 0) + 1;
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const bindings = { topic, partition, offset: message.offset, reqId: headers[Headers.requestId], traceparent: headers[Headers.traceparent] };
    // One child logger per record, made once the event id is known (or the record failed).
    let recordLogger: Logger | undefined;
    const stopTimer = options.metrics?.handlerSeconds.startTimer(labels);
    try {
      const event = await decoder.decode(message.value);
      recordLogger = logger.child({ ...bindings, eventId: (event as { eventId?: string }).eventId });
      const context: RecordContext = { topic, partition, offset: message.offset, key: message.key?.toString() ?? null, headers, attempt, logger: recordLogger };
      const outputs = (await service.handle(event, context)) ?? [];
      if (outputs.length > 0 && !transactional) {
        throw new Error(`${service.name} returned output records but does not run in transactional mode`);
      }
      attempts.delete(recordKey);
      stopTimer?.();
      options.metrics?.handled.inc(labels);
      return { kind: 'done', outputs: outputs.map((o) => ({ topic: o.topic, message: { key: o.key, value: o.value, headers: o.headers ?? {} } })) };
    } catch (error) {
      recordLogger ??= logger.child(bindings);
      const decision = decideOnFailure(error, attempt, options.retry);
      if (decision.action === 'retry') {
        options.metrics?.retried.inc(labels);
        attempts.set(recordKey, attempt);
        recordLogger.warn({ err: error, attempt, retryInMs: decision.delayMs }, 'record failed; retrying after back-off');
        return { kind: 'retry', delayMs: decision.delayMs, error };
      }
      attempts.delete(recordKey);
      options.metrics?.deadLettered.inc(labels);
      recordLogger.error({ err: error, attempts: attempt, dlq: dlqTopic }, 'record dead-lettered');
      return { kind: 'dead-letter', letter: { topic: dlqTopic, message: deadLetterMessage({ topic, partition, message }, error, service.groupId, attempt) } };
    }
  };

  // Pause only this partition for a back-off, so the poll loop (and with it the group
  // membership) carries on; throwing makes the client seek back to the first record not
  // marked processed.
  const retryLater = (pause: () => () => void, delayMs: number, failure: unknown): never => {
    const resume = pause();
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      resume();
    }, delayMs);
    retryTimers.add(timer);
    throw failure;
  };

  if (transactional) {
    // One Kafka transaction per polled batch: every output record and dead letter of the
    // batch, plus the input position after its last record, commit or abort together.
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, pause }) => {
        const pending: OutgoingMessage[] = [];
        let last: string | undefined;
        const flush = async () => {
          if (last === undefined) return;
          try {
            await commitInTransaction(batch.topic, batch.partition, last, pending);
          } catch (error) {
            logger.warn({ err: error, partition: batch.partition }, 'transaction failed; retrying the batch after back-off');
            return retryLater(pause, options.retry.maxBackoffMs, error);
          }
          resolveOffset(last);
        };
        for (const message of batch.messages) {
          const outcome = await processRecord(batch.topic, batch.partition, message);
          if (outcome.kind === 'retry') {
            await flush(); // what was handled before the failing record stays handled
            return retryLater(pause, outcome.delayMs, outcome.error);
          }
          pending.push(...(outcome.kind === 'done' ? outcome.outputs : [outcome.letter]));
          last = message.offset;
        }
        await flush();
      },
    });
  } else {
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message, pause }) => {
        const outcome = await processRecord(topic, partition, message);
        if (outcome.kind === 'retry') return retryLater(pause, outcome.delayMs, outcome.error);
        if (outcome.kind === 'dead-letter') {
          try {
            await producer.send({ topic: outcome.letter.topic, messages: [outcome.letter.message] });
          } catch (error) {
            // The record stays where it is until it can be dead-lettered: nothing is skipped.
            logger.error({ err: error, dlq: dlqTopic, partition, offset: message.offset }, 'cannot dead-letter the record; retrying');
            retryLater(pause, options.retry.maxBackoffMs, error);
          }
        }
      },
    });
  }
  logger.info({ topic: service.topic, transactional }, `${service.name} consumer running`);

  return {
    assignment: () => consumer.assignment(),
    lastStatsAt: () => lastStatsAt,
    async stop() {
      for (const timer of retryTimers) clearTimeout(timer);
      await consumer.disconnect(); // finishes the record in hand, commits stored offsets, leaves the group
      await producer.flush({ timeout: options.produceTimeoutMs }).catch(() => undefined);
      await producer.disconnect();
      logger.info(`${service.name} consumer stopped`);
    },
  };
}

type RebalanceCallback = (
  err: { code: number },
  assignment: Array<{ topic: string; partition: number; offset?: number }>,
) => Promise<Array<{ topic: string; partition: number; offset?: number }> | undefined>;

function startFromStoredOffsets<T>(service: ConsumerService<T>, logger: Logger): RebalanceCallback {
  return async (err, assignment) => {
    if (err.code !== ERR_ASSIGN_PARTITIONS) return undefined;
    const stored = await service.storedOffsets!(assignment.map((a) => a.partition));
    const positioned = assignment.map((a) => {
      const next = stored.get(a.partition);
      return next === undefined ? a : { ...a, offset: Number(next) };
    });
    logger.info({ assignment: positioned.map((a) => `${a.partition}@${a.offset ?? 'committed'}`) }, 'partitions assigned; starting from stored offsets');
    return positioned;
  };
}

/** A transactional id that stays unique per process; fencing of zombies comes from the group (KIP-447). */
export function transactionalIdFor(groupId: string): string {
  return `${groupId}-${process.env.HOSTNAME ?? 'local'}-${process.pid}-${randomUUID().slice(0, 8)}`;
}
