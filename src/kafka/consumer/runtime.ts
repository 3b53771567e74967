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
}

export interface RunningConsumer {
  /** Finishes the record in hand, commits, leaves the group. */
  stop(): Promise<void>;
  /** Partitions currently assigned to this instance. */
  assignment(): KafkaJS.TopicPartition[];
}

const ERR_ASSIGN_PARTITIONS = -175;

export async function runConsumer<T>(service: ConsumerService<T>, options: ConsumerRuntimeOptions): Promise<RunningConsumer> {
  const logger = options.logger.child({ consumerGroup: service.groupId });
  const decoder = new AvroDecoder<T>(options.registry, valueSubject(service.topic), service.readerSchema);
  const attempts = new Map<string, number>();
  const retryTimers = new Set<NodeJS.Timeout>();
  const transactional = options.transactional !== undefined;

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
  });

  // Dead letters and transactional output share one producer per consumer process.
  const producer: Producer = transactional
    ? options.kafka.producer({
        kafkaJS: { transactionalId: options.transactional!.transactionalId, idempotent: true, acks: -1, maxInFlightRequests: 1 },
        'message.timeout.ms': options.produceTimeoutMs,
        'reconnect.backoff.max.ms': 1000,
      })
    : createIdempotentProducer(options.kafka, { lingerMs: 5, deliveryTimeoutMs: options.produceTimeoutMs });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [service.topic] });

  const commitInTransaction = async (topic: string, partition: number, offset: string, records: readonly KafkaJS.Message[], outTopic: (i: number) => string) => {
    const transaction = await producer.transaction();
    try {
      for (const [i, record] of records.entries()) await transaction.send({ topic: outTopic(i), messages: [record] });
      await transaction.sendOffsets({
        consumer,
        // The committed offset is the next one to read, hence + 1.
        topics: [{ topic, partitions: [{ partition, offset: String(BigInt(offset) + 1n) }] }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => logger.warn({ err: abortError }, 'transaction abort failed'));
      throw error;
    }
  };

  await consumer.run({
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachMessage: async ({ topic, partition, message, pause }) => {
      const recordKey = `${topic}/${partition}/${message.offset}`;
      const attempt = (attempts.get(recordKey) ?? 0) + 1;
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      const recordLogger = logger.child({
        topic,
        partition,
        offset: message.offset,
        reqId: headers[Headers.requestId],
        traceparent: headers[Headers.traceparent],
      });
      try {
        const event = await decoder.decode(message.value);
        const eventLogger = recordLogger.child({ eventId: (event as { eventId?: string }).eventId });
        const context: RecordContext = { topic, partition, offset: message.offset, key: message.key?.toString() ?? null, headers, attempt, logger: eventLogger };
        const outputs = (await service.handle(event, context)) ?? [];
        if (transactional) {
          await commitInTransaction(topic, partition, message.offset, outputs.map((o) => ({ key: o.key, value: o.value, headers: o.headers ?? {} })), (i) => outputs[i]!.topic);
        } else if (outputs.length > 0) {
          throw new Error(`${service.name} returned output records but does not run in transactional mode`);
        }
        attempts.delete(recordKey);
      } catch (error) {
        // Pause only this partition for a back-off, so the poll loop (and with it the group
        // membership) carries on; throwing makes the runtime seek back to this record.
        const retryLater = (delayMs: number, failure: unknown): never => {
          const resume = pause();
          const timer = setTimeout(() => {
            retryTimers.delete(timer);
            resume();
          }, delayMs);
          retryTimers.add(timer);
          throw failure;
        };
        const decision = decideOnFailure(error, attempt, options.retry);
        if (decision.action === 'retry') {
          attempts.set(recordKey, attempt);
          recordLogger.warn({ err: error, attempt, retryInMs: decision.delayMs }, 'record failed; retrying after back-off');
          return retryLater(decision.delayMs, error);
        }
        const dlqTopic = deadLetterTopic(service.groupId);
        const dlq = deadLetterMessage({ topic, partition, message }, error, service.groupId, attempt);
        try {
          if (transactional) {
            await commitInTransaction(topic, partition, message.offset, [dlq], () => dlqTopic);
          } else {
            await producer.send({ topic: dlqTopic, messages: [dlq] });
          }
        } catch (dlqError) {
          // The record stays where it is until it can be dead-lettered: nothing is skipped.
          recordLogger.error({ err: dlqError, dlq: dlqTopic, cause: (error as Error).message }, 'cannot dead-letter the record; retrying');
          return retryLater(options.retry.maxBackoffMs, dlqError);
        }
        attempts.delete(recordKey);
        recordLogger.error({ err: error, attempts: attempt, dlq: dlqTopic }, 'record dead-lettered');
      }
    },
  });
  logger.info({ topic: service.topic, transactional }, `${service.name} consumer running`);

  return {
    assignment: () => consumer.assignment(),
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
