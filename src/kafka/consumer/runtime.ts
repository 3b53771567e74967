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
import { DeadLetterHeaders, deadLetterMessage, deadLetterTopic } from './dead-letter.js';
import { decideOnFailure, DependencyUnavailableError, type RetryPolicy } from './errors.js';

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
  /** Unset: the partitioner picks one from the key. */
  readonly partition?: number;
  readonly key: string;
  readonly value: Buffer;
  readonly headers?: Record<string, string>;
}

interface ConsumerServiceBase {
  /** Short name for logs: email, analytics, … */
  readonly name: string;
  readonly groupId: string;
  readonly topic: string;
  /** The Avro schema (text) this service reads every version of the contract as. */
  readonly readerSchema: string;
  /** Only committed transactional records (for consumers of transactional producers). */
  readonly readCommitted?: boolean;
  /**
   * For services that keep their offsets in their own database (in the same transaction as
   * their effects): the next offset to read for each partition they know. The runtime
   * starts each newly assigned partition there.
   */
  storedOffsets?(partitions: readonly number[]): Promise<ReadonlyMap<number, string>>;
  /**
   * For services that keep state per partition in memory: called when partitions are
   * assigned or revoked, and after a transaction that covered them failed. What the
   * service knew of them may be stale; it must rebuild it before handling their records.
   */
  resetPartitionState?(partitions: readonly number[]): void;
}

/** A service that handles one event at a time. */
export interface RecordConsumerService<T> extends ConsumerServiceBase {
  /**
   * Handles one event. Must be idempotent by the event's id: the same record can arrive
   * more than once. In transactional mode, what it returns is produced in the transaction
   * that also commits the input offset.
   */
  handle(event: T, context: RecordContext): Promise<readonly OutgoingRecord[] | void>;
}

export interface DecodedRecord<T> {
  readonly event: T;
  readonly context: RecordContext;
}

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the batch's last record (dead-lettered records included): where to resume. */
  readonly nextOffset: string;
  readonly logger: Logger;
}

/**
 * A service that handles a polled batch of one partition's events at once, so that it can
 * write them (and `nextOffset`) in one database transaction. Must be idempotent by event id.
 * The runtime isolates a failing record by handing the batch over again one record at a time.
 */
export interface BatchConsumerService<T> extends ConsumerServiceBase {
  handleBatch(records: readonly DecodedRecord<T>[], context: BatchContext): Promise<void>;
}

export type ConsumerService<T> = RecordConsumerService<T> | BatchConsumerService<T>;

export interface ConsumerRuntimeOptions {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly produceTimeoutMs: number;
  /** Consume-transform-produce with Kafka transactions (onboarding). */
  readonly transactional?: { readonly transactionalId: string };
  /** Most records of one partition in a batch (batch services and transactional mode). */
  readonly maxBatchSize: number;
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
const ERR_REVOKE_PARTITIONS = -174;
/** Each waits up to librdkafka's 5 s for the coordinator. */
const ABORT_ATTEMPTS = 6;
const COMMIT_ATTEMPTS = 6;
const ERR_TIMED_OUT = -185;

interface OutgoingMessage {
  readonly topic: string;
  readonly message: KafkaJS.Message;
}

interface TransactionalBatch {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
  readonly records: readonly OutgoingMessage[];
}

type RecordOutcome =
  | { readonly kind: 'done'; readonly outputs: readonly OutgoingMessage[] }
  | { readonly kind: 'dead-letter'; readonly letter: OutgoingMessage }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: unknown };

export async function runConsumer<T>(service: ConsumerService<T>, options: ConsumerRuntimeOptions): Promise<RunningConsumer> {
  const logger = options.logger.child({ consumerGroup: service.groupId });
  const decoder = new AvroDecoder<T>(options.registry, valueSubject(service.topic), service.readerSchema);
  const attempts = new Map<string, number>();
  /** Batch mode: records dead-lettered in a batch that is to be retried from an earlier record. */
  const deadLettered = new Set<string>();
  const retryTimers = new Set<NodeJS.Timeout>();
  let stopping = false;
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
    ...(service.storedOffsets || service.resetPartitionState ? { rebalance_cb: onRebalance(service, logger) } : {}),
    stats_cb: onStats,
    'statistics.interval.ms': KAFKA_STATS_INTERVAL_MS,
    'js.consumer.max.batch.size': options.maxBatchSize,
  });

  // Dead letters and transactional output share one producer per consumer process.
  // No linger: a transaction awaits its records' acks, so waiting to batch only adds latency.
  const newProducer = () =>
    createIdempotentProducer(options.kafka, {
      lingerMs: 0,
      deliveryTimeoutMs: options.produceTimeoutMs,
      ...(options.transactional ? { transactionalId: options.transactional.transactionalId } : {}),
    });
  let producer: Producer = newProducer();
  await producer.connect();
  let producerReady: Promise<void> = Promise.resolve();
  /** The producer, connected; a replacement whose connect failed is replaced again. */
  const connectedProducer = async (): Promise<Producer> => {
    try {
      await producerReady;
    } catch {
      producer = newProducer();
      producerReady = producer.connect();
      await producerReady;
    }
    return producer;
  };
  await consumer.connect();
  await consumer.subscribe({ topics: [service.topic] });

  const recordKey = (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`;
  /** A dead letter re-published for another group: this group handled the original already. */
  const isReplayForAnotherGroup = (message: KafkaJS.KafkaMessage) => {
    const replayFor = message.headers?.[DeadLetterHeaders.replayForGroup];
    return replayFor !== undefined && String(replayFor) !== service.groupId;
  };
  const nextOffset = (offset: string) => String(BigInt(offset) + 1n);
  const messageAt = (batch: KafkaJS.Batch, record: DecodedRecord<T>) => batch.messages.find((m) => m.offset === record.context.offset)!;

  /**
   * Produces the output records of several partitions' batches and commits their input
   * positions (the offset after each batch's last record) atomically.
   */
  const commitInTransaction = async (batches: readonly TransactionalBatch[]) => {
    const transaction = await (await connectedProducer()).transaction();
    try {
      const byTopic = new Map<string, KafkaJS.Message[]>();
      for (const record of batches.flatMap((b) => b.records)) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record.message]);
      // One request for everything: awaiting each send would wait for each ack in turn.
      if (byTopic.size > 0) await transaction.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      const positions = new Map<string, Array<{ partition: number; offset: string }>>();
      // The committed offset is the next one to read, hence + 1.
      for (const b of batches) positions.set(b.topic, [...(positions.get(b.topic) ?? []), { partition: b.partition, offset: nextOffset(b.lastOffset) }]);
      await transaction.sendOffsets({ consumer, topics: [...positions].map(([topic, partitions]) => ({ topic, partitions })) });
      await commitRepeatingTimeouts(transaction);
    } catch (error) {
      await abortOrReplaceProducer(transaction);
      throw error;
    }
  };

  /**
   * A commit that timed out may still complete on the coordinator: librdkafka's rule is to
   * call commit again, never to abort it (an abort is refused while the commit is in flight,
   * and re-handling the batch then published its records twice: the fault suite saw one
   * duplicate enrolment after a broker kill).
   */
  const commitRepeatingTimeouts = async (transaction: KafkaJS.Transaction) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await transaction.commit();
        return;
      } catch (error) {
        const timedOut = (error as { code?: number }).code === ERR_TIMED_OUT || (error as Error).name === 'KafkaJSTimeout';
        if (!timedOut || attempt >= COMMIT_ATTEMPTS) throw error;
        logger.warn({ err: error, attempt }, 'transaction commit timed out; committing again');
      }
    }
  };

  /**
   * Aborts a failed transaction. An abort can time out while the transaction coordinator
   * moves (a broker died): librdkafka asks for the call to be repeated, and until an abort
   * succeeds the client refuses to begin another transaction. Past the attempts, or on a
   * fatal error, the producer is replaced: the new one, with the same transactional id,
   * fences the old one and the coordinator aborts what it left open.
   */
  const abortOrReplaceProducer = async (transaction: KafkaJS.Transaction) => {
    for (let attempt = 1; attempt <= ABORT_ATTEMPTS; attempt++) {
      try {
        await transaction.abort();
        return;
      } catch (abortError) {
        logger.warn({ err: abortError, attempt }, 'transaction abort failed');
        if ((abortError as { fatal?: boolean }).fatal) break;
      }
    }
    replaceProducer();
  };

  /** A new producer with the same transactional id: it fences the old one, whose disconnect is not awaited. */
  const replaceProducer = () => {
    logger.warn('replacing the transactional producer');
    const old = producer;
    producer = newProducer();
    void old.disconnect().catch(() => undefined);
    producerReady = producer.connect();
    producerReady.catch(() => undefined); // awaited by the next transaction, which reports it
  };

  /**
   * A transaction must finish within a bound: in the fault suite's CI run one never settled
   * after a broker was killed, and every partition waited on it (140 s of silence until the
   * group fenced it). Past the bound it counts as failed and the producer is replaced.
   */
  const transactionBoundMs = 4 * options.produceTimeoutMs + COMMIT_ATTEMPTS * 5000 + 10_000;
  const commitWithinBound = (group: readonly TransactionalBatch[]) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        replaceProducer();
        reject(new Error(`transaction did not finish within ${transactionBoundMs} ms`));
      }, transactionBoundMs);
      commitInTransaction(group).then(resolve, reject).finally(() => clearTimeout(timer));
    });

  // A producer has one transaction open at a time. Batches of other partitions that finish
  // while a transaction commits wait and go together in the next one (group commit), so the
  // partitions do not queue behind each other's commits one by one.
  let waitingForTransaction: Array<TransactionalBatch & { settle: (error?: unknown) => void }> = [];
  let committing = false;
  const commitWithOthers = (batch: TransactionalBatch) =>
    new Promise<void>((resolve, reject) => {
      waitingForTransaction.push({ ...batch, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (committing) return;
      committing = true;
      void (async () => {
        while (waitingForTransaction.length > 0) {
          const group = waitingForTransaction;
          waitingForTransaction = [];
          const failure = await commitWithinBound(group).then(
            () => undefined,
            (error: unknown) => error ?? new Error('transaction failed'),
          );
          for (const member of group) member.settle(failure);
        }
        committing = false;
      })();
    });

  type Decoded = { readonly kind: 'decoded'; readonly record: DecodedRecord<T> };

  /** Decodes one record into the event and its context; a failure is turned into the outcome the caller acts on. */
  const decodeRecord = async (topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<Decoded | Exclude<RecordOutcome, { kind: 'done' }>> => {
    // The maps are empty unless something failed: no key is built on the happy path.
    const attempt = attempts.size === 0 ? 1 : (attempts.get(recordKey(topic, partition, message.offset)) ?? 0) + 1;
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const bindings = { topic, partition, offset: message.offset, reqId: headers[Headers.requestId], traceparent: headers[Headers.traceparent] };
    try {
      const event = await decoder.decode(message.value);
      let recordLogger: Logger | undefined;
      const context: RecordContext = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        headers,
        attempt,
        // Made on first use: a child logger costs more than decoding the record.
        get logger() {
          return (recordLogger ??= logger.child({ ...bindings, eventId: (event as { eventId?: string }).eventId }));
        },
      };
      return { kind: 'decoded', record: { event, context } };
    } catch (error) {
      return onFailure(error, { topic, partition, message }, attempt, logger.child(bindings));
    }
  };

  /** Counts the failed attempt and says whether to retry the record later or dead-letter it now. */
  const onFailure = (
    error: unknown,
    record: { topic: string; partition: number; message: KafkaJS.KafkaMessage },
    attempt: number,
    recordLogger: Logger,
  ): Exclude<RecordOutcome, { kind: 'done' }> => {
    const key = recordKey(record.topic, record.partition, record.message.offset);
    const decision = decideOnFailure(error, attempt, options.retry);
    if (decision.action === 'retry') {
      options.metrics?.retried.inc(labels);
      attempts.set(key, attempt);
      recordLogger.warn({ err: error, attempt, retryInMs: decision.delayMs }, 'record failed; retrying after back-off');
      return { kind: 'retry', delayMs: decision.delayMs, error };
    }
    attempts.delete(key);
    options.metrics?.deadLettered.inc(labels);
    recordLogger.error({ err: error, attempts: attempt, dlq: dlqTopic }, 'record dead-lettered');
    return { kind: 'dead-letter', letter: { topic: dlqTopic, message: deadLetterMessage(record, error, service.groupId, attempt) } };
  };

  /** Decodes and handles one record; never throws: the outcome says what the caller must do. */
  const processRecord = async (handle: RecordConsumerService<T>['handle'], topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<RecordOutcome> => {
    if (isReplayForAnotherGroup(message)) return { kind: 'done', outputs: [] };
    const stopTimer = options.metrics?.handlerSeconds.startTimer(labels);
    const decoded = await decodeRecord(topic, partition, message);
    if (decoded.kind !== 'decoded') return decoded;
    const { event, context } = decoded.record;
    try {
      const outputs = (await handle(event, context)) ?? [];
      if (outputs.length > 0 && !transactional) {
        throw new Error(`${service.name} returned output records but does not run in transactional mode`);
      }
      if (attempts.size > 0) attempts.delete(recordKey(topic, partition, message.offset));
      stopTimer?.();
      options.metrics?.handled.inc(labels);
      return {
        kind: 'done',
        outputs: outputs.map((o) => ({ topic: o.topic, message: { key: o.key, value: o.value, headers: o.headers ?? {}, ...(o.partition === undefined ? {} : { partition: o.partition }) } })),
      };
    } catch (error) {
      return onFailure(error, { topic, partition, message }, context.attempt, context.logger);
    }
  };

  /** Produces dead letters; a letter that cannot be written holds the partition: nothing is skipped. */
  const sendDeadLetters = async (letters: readonly OutgoingMessage[], partition: number, pause: () => () => void): Promise<void> => {
    if (letters.length === 0) return;
    try {
      await producer.send({ topic: dlqTopic, messages: letters.map((l) => l.message) });
    } catch (error) {
      logger.error({ err: error, dlq: dlqTopic, partition }, 'cannot dead-letter the record; retrying');
      retryLater(pause, options.retry.maxBackoffMs, error);
    }
  };

  // Pause only this partition for a back-off, so the poll loop (and with it the group
  // membership) carries on; throwing makes the client seek back to the first record not
  // marked processed.
  const retryLater = (pause: () => () => void, delayMs: number, failure: unknown): never => {
    const resume = pause();
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      // Not after stop() began: the consumer may be disconnected by now.
      if (stopping) return;
      try {
        resume();
      } catch (error) {
        logger.warn({ err: error }, 'cannot resume a paused partition');
      }
    }, delayMs);
    retryTimers.add(timer);
    throw failure;
  };

  if ('handleBatch' in service) {
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: ({ batch, resolveOffset, pause }) => runBatch(service, batch, resolveOffset, pause),
    });
  } else if (transactional) {
    // Every output record and dead letter of a polled batch, plus the input position after
    // its last record, commit or abort together, in one Kafka transaction (shared with the
    // batches of other partitions that finish at the same time).
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, pause }) => {
        const pending: OutgoingMessage[] = [];
        let last: string | undefined;
        const flush = async () => {
          if (last === undefined) return;
          try {
            await commitWithOthers({ topic: batch.topic, partition: batch.partition, lastOffset: last, records: pending });
          } catch (error) {
            service.resetPartitionState?.([batch.partition]);
            logger.warn({ err: error, partition: batch.partition }, 'transaction failed; retrying the batch after back-off');
            return retryLater(pause, options.retry.maxBackoffMs, error);
          }
          resolveOffset(last);
        };
        for (const message of batch.messages) {
          const outcome = await processRecord(service.handle, batch.topic, batch.partition, message);
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
    const handle = service.handle;
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message, pause }) => {
        const outcome = await processRecord(handle, topic, partition, message);
        if (outcome.kind === 'retry') return retryLater(pause, outcome.delayMs, outcome.error);
        if (outcome.kind === 'dead-letter') await sendDeadLetters([outcome.letter], partition, pause);
      },
    });
  }

  /**
   * Batch services: decode the whole polled batch, dead-letter what cannot be decoded, hand
   * the rest to the service in one call. When that call fails for a reason other than a
   * dependency outage, the records are handed over again one at a time, so that only the
   * failing record is retried and, after the bound, dead-lettered.
   */
  async function runBatch(
    batchService: BatchConsumerService<T>,
    batch: KafkaJS.Batch,
    resolveOffset: (offset: string) => void,
    pause: () => () => void,
  ): Promise<void> {
    const { topic, partition } = batch;
    const stopTimer = options.metrics?.handlerSeconds.startTimer(labels);
    const records: DecodedRecord<T>[] = [];
    const letters: Array<OutgoingMessage & { offset: string }> = [];
    let last: string | undefined;
    let undecodable: { delayMs: number; error: unknown } | undefined;
    for (const message of batch.messages) {
      // Skipped: dead-lettered already, before a retry of its batch sent the consumer back
      // here; or re-published for another group.
      const skip = (deadLettered.size > 0 && deadLettered.has(recordKey(topic, partition, message.offset))) || isReplayForAnotherGroup(message);
      if (!skip) {
        const decoded = await decodeRecord(topic, partition, message);
        if (decoded.kind === 'retry') {
          undecodable = decoded; // handle what came before it, then wait
          break;
        }
        if (decoded.kind === 'decoded') records.push(decoded.record);
        else letters.push({ ...decoded.letter, offset: message.offset });
      }
      last = message.offset;
    }
    if (last !== undefined) {
      // Before the batch is handled: a service that saves its position must never save one
      // past a record that is not in the dead-letter topic yet.
      await sendDeadLetters(letters, partition, pause);
      for (const letter of letters) deadLettered.add(recordKey(topic, partition, letter.offset));
      const context = { topic, partition, nextOffset: nextOffset(last), logger };
      try {
        await batchService.handleBatch(records, context);
        if (attempts.size > 0) for (const record of records) attempts.delete(recordKey(topic, partition, record.context.offset));
        options.metrics?.handled.inc(labels, records.length);
      } catch (error) {
        if (records.length === 0) {
          logger.warn({ err: error, partition }, 'cannot save the position; retrying after back-off');
          return retryLater(pause, options.retry.maxBackoffMs, error);
        }
        if (error instanceof DependencyUnavailableError) {
          // Not the records' fault: the whole batch waits, with back-off growing per attempt.
          const first = records[0]!;
          const outcome = onFailure(error, { topic, partition, message: messageAt(batch, first) }, first.context.attempt, first.context.logger);
          return retryLater(pause, outcome.kind === 'retry' ? outcome.delayMs : options.retry.maxBackoffMs, error);
        }
        if (records.length > 1) logger.warn({ err: error, partition, records: records.length }, 'batch failed; handling its records one at a time');
        await oneAtATime(batchService, batch, records, context, resolveOffset, pause);
      }
      stopTimer?.();
      resolveOffset(last);
      if (deadLettered.size > 0) for (const message of batch.messages) deadLettered.delete(recordKey(topic, partition, message.offset));
    }
    if (undecodable) retryLater(pause, undecodable.delayMs, undecodable.error);
  }

  async function oneAtATime(
    batchService: BatchConsumerService<T>,
    batch: KafkaJS.Batch,
    records: readonly DecodedRecord<T>[],
    context: BatchContext,
    resolveOffset: (offset: string) => void,
    pause: () => () => void,
  ): Promise<void> {
    const { topic, partition } = batch;
    for (const record of records) {
      const { offset } = record.context;
      try {
        await batchService.handleBatch([record], { ...context, nextOffset: nextOffset(offset) });
        attempts.delete(recordKey(topic, partition, offset));
        options.metrics?.handled.inc(labels);
      } catch (error) {
        const outcome = onFailure(error, { topic, partition, message: messageAt(batch, record) }, record.context.attempt, record.context.logger);
        if (outcome.kind === 'retry') {
          const before = batch.messages.findIndex((m) => m.offset === offset) - 1;
          if (before >= 0) resolveOffset(batch.messages[before]!.offset);
          return retryLater(pause, outcome.delayMs, outcome.error);
        }
        await sendDeadLetters([outcome.letter], partition, pause);
        deadLettered.add(recordKey(topic, partition, offset));
      }
    }
    // Dead-lettered records at the end of the batch: their position is saved too.
    await savePosition(batchService, context, pause);
  }

  async function savePosition(batchService: BatchConsumerService<T>, context: BatchContext, pause: () => () => void): Promise<void> {
    try {
      await batchService.handleBatch([], context);
    } catch (error) {
      logger.warn({ err: error, partition: context.partition }, 'cannot save the position; retrying after back-off');
      retryLater(pause, options.retry.maxBackoffMs, error);
    }
  }

  logger.info({ topic: service.topic, transactional }, `${service.name} consumer running`);

  return {
    assignment: () => consumer.assignment(),
    lastStatsAt: () => lastStatsAt,
    async stop() {
      stopping = true;
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

function onRebalance<T>(service: ConsumerService<T>, logger: Logger): RebalanceCallback {
  return async (err, assignment) => {
    if (err.code !== ERR_ASSIGN_PARTITIONS && err.code !== ERR_REVOKE_PARTITIONS) return undefined;
    service.resetPartitionState?.(assignment.map((a) => a.partition));
    if (err.code !== ERR_ASSIGN_PARTITIONS || !service.storedOffsets) return undefined;
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
