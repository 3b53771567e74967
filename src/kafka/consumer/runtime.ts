// The one consumer runtime every service runs on. It owns the mechanics — polling,
// decoding against the registry, commits, retries with back-off, dead-lettering,
// rebalances and shutdown — so that a service is a handler that receives decoded events.
// This module connects, subscribes, picks the delivery mode and stops; each mode lives in
// modes/, the transaction mechanics in transaction.ts, one record's handling in
// record-processor.ts and the retry-or-dead-letter decision in errors.ts.
//
// Delivery: at-least-once. A record's offset is stored for commit only after its handler
// succeeded (or it was dead-lettered), so a crash redelivers it; handlers are idempotent,
// which makes the effects happen once. In transactional mode the handler's output records
// and the input offset commit in one Kafka transaction: exactly once for read_committed
// readers.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config, ConsumerGroupProtocol } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { CheckResult } from '../../observability/health.js';
import type { SchemaRegistryClient } from '../../registry/client.js';
import { KAFKA_STATS_INTERVAL_MS, type ConsumerMetrics } from '../../observability/metrics.js';
import { valueSubject } from '../../events/subjects.js';
import type { Kafka } from '../client.js';
import { createIdempotentProducer } from '../producer.js';
import { assignedLag } from './assigned-lag.js';
import { AvroDecoder } from './avro-decoder.js';
import { PartitionBackOff } from './back-off.js';
import { DeadLetterSender } from './dead-letter-sender.js';
import { deadLetterTopic } from './dead-letter.js';
import { backoffMs, type RetryPolicy } from './errors.js';
import { batchMode } from './modes/batch-mode.js';
import { recordMode } from './modes/record-mode.js';
import { transactionalMode } from './modes/transactional-mode.js';
import { ProgressWatch } from './progress.js';
import { rebalanceCallback } from './rebalance.js';
import { RecordProcessor } from './record-processor.js';
import type { ConsumerService } from './service.js';
import { TransactionalCommitter } from './transaction.js';

/** Enough for a few hundred events: under a backlog a fetch is answered at once, full. */
const FETCH_MIN_BYTES = 64 * 1024;

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
  /** Most milliseconds the broker holds a fetch to gather FETCH_MIN_BYTES (fetch.wait.max.ms). */
  readonly fetchWaitMs: number;
  /** The group protocol: consumer (KIP-848) or classic, with the settings the member makes under it. */
  readonly group: ConsumerGroupProtocol;
  /** Partitions handled concurrently (ordering still holds within each partition). */
  readonly partitionsConsumedConcurrently?: number;
  readonly metrics?: ConsumerMetrics;
  /** Receives librdkafka's statistics of the consumer (see observability/metrics). */
  readonly statsCallback?: (event: { message: string }) => void;
  /** Stall detection (progress.ts): when nothing moved for `stallAfterMs`, the lag is measured (assigned-lag.ts). */
  readonly progress?: { readonly stallAfterMs: number; readonly kafka: Config['kafka'] };
}

export interface RunningConsumer {
  /** Finishes the record in hand, commits, leaves the group. */
  stop(): Promise<void>;
  /** Partitions currently assigned to this instance. */
  assignment(): KafkaJS.TopicPartition[];
  /** When librdkafka last reported statistics: its threads are alive and polling. */
  lastStatsAt(): number | undefined;
  /** Whether records are getting handled (progress.ts): failing means stalled, restart me. */
  progress(): CheckResult;
  /** Milliseconds since a handler call last returned or a deliberate wait went round. */
  sinceLastProgressMs(): number;
}

export async function runConsumer<T>(service: ConsumerService<T>, options: ConsumerRuntimeOptions): Promise<RunningConsumer> {
  const logger = options.logger.child({ consumerGroup: service.groupId });
  const transactional = options.transactional !== undefined;
  const dlqTopic = deadLetterTopic(service.groupId);
  const labels = { group: service.groupId, topic: service.topic };
  let lastStatsAt: number | undefined;
  let lastStatistics: string | undefined;
  let stopping = false;
  const backOff = new PartitionBackOff(logger);
  // Assigned at once below; the watch needs the consumer for the lag of its partitions.
  let consumer: KafkaJS.Consumer;
  const watch = new ProgressWatch({
    stallAfterMs: options.progress?.stallAfterMs ?? Number.POSITIVE_INFINITY,
    backingOff: () => backOff.active(),
    lag: () => assignedLag(consumer, options.progress!.kafka, service.topic, lastStatistics, { readCommitted: service.readCommitted === true, timeoutMs: 10_000 }),
  });
  const rebalance = rebalanceCallback(service, {
    logger,
    stopping: () => stopping,
    retryDelayMs: (attempt) => backoffMs(attempt, options.retry),
    waiting: () => watch.progressed(),
  });

  consumer = options.kafka.consumer({
    kafkaJS: {
      groupId: service.groupId,
      fromBeginning: true,
      // Offsets are stored only for records whose handler finished (or that were
      // dead-lettered), then committed in the background and on revoke and shutdown.
      // In transactional mode the transaction commits them instead.
      autoCommit: !transactional,
      autoCommitInterval: 1000,
      readUncommitted: !service.readCommitted,
      // Under the consumer protocol the broker sets the session timeout and assigns the
      // partitions; the client refuses to be given either. The classic protocol keeps the
      // client's default eager round-robin assignment.
      ...(options.group.protocol === 'classic' ? { sessionTimeout: options.group.sessionTimeoutMs } : {}),
    },
    'group.protocol': options.group.protocol,
    rebalance_cb: rebalance,
    stats_cb: (event: { message: string }) => {
      lastStatsAt = Date.now();
      lastStatistics = event.message;
      options.statsCallback?.(event);
    },
    'statistics.interval.ms': KAFKA_STATS_INTERVAL_MS,
    'js.consumer.max.batch.size': options.maxBatchSize,
    // A fetch is answered when FETCH_MIN_BYTES wait or fetchWaitMs is over, so a trickle of
    // records arrives in batches of up to fetchWaitMs instead of one fetch per record.
    'fetch.min.bytes': FETCH_MIN_BYTES,
    'fetch.wait.max.ms': options.fetchWaitMs,
  });

  const processor = new RecordProcessor<T>({
    groupId: service.groupId,
    dlqTopic,
    decoder: new AvroDecoder<T>(options.registry, valueSubject(service.topic), service.readerSchema),
    retry: options.retry,
    logger,
    metrics: options.metrics,
    labels,
  });
  const retryDelayMs = options.retry.maxBackoffMs;

  // Transactional mode: output records and dead letters go in the transactions. Otherwise
  // an idempotent producer writes the dead letters.
  let stopProducing: () => Promise<void>;
  let eachBatch: ((payload: KafkaJS.EachBatchPayload) => Promise<void>) | undefined;
  let eachMessage: ((payload: KafkaJS.EachMessagePayload) => Promise<void>) | undefined;
  if (options.transactional) {
    if ('handleBatch' in service) throw new Error(`${service.name}: a batch service cannot run in transactional mode`);
    const committer = new TransactionalCommitter({
      kafka: options.kafka,
      transactionalId: options.transactional.transactionalId,
      consumer,
      produceTimeoutMs: options.produceTimeoutMs,
      logger,
    });
    await committer.connect();
    stopProducing = () => committer.stop();
    eachBatch = transactionalMode(service, { processor, backOff, committer, retryDelayMs, logger });
  } else {
    const producer = createIdempotentProducer(options.kafka, { lingerMs: 0, deliveryTimeoutMs: options.produceTimeoutMs });
    await producer.connect();
    stopProducing = async () => {
      await producer.flush({ timeout: options.produceTimeoutMs }).catch(() => undefined);
      await producer.disconnect();
    };
    const deadLetters = new DeadLetterSender(producer, dlqTopic, backOff, retryDelayMs, logger);
    if ('handleBatch' in service) eachBatch = batchMode(service, { processor, backOff, deadLetters, retryDelayMs, logger, metrics: options.metrics, labels });
    else eachMessage = recordMode(service, { processor, backOff, deadLetters });
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [service.topic] });
  const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 1;
  await consumer.run(
    eachBatch
      ? { partitionsConsumedConcurrently, eachBatch: watch.track(eachBatch, ({ batch }) => `${batch.topic}/${batch.partition} from offset ${batch.messages[0]?.offset}`) }
      : { partitionsConsumedConcurrently, eachMessage: watch.track(eachMessage!, ({ topic, partition, message }) => `${topic}/${partition} offset ${message.offset}`) },
  );
  logger.info({ topic: service.topic, transactional, fetchWaitMs: options.fetchWaitMs }, `${service.name} consumer running`);
  let watching: NodeJS.Timeout | undefined;
  if (options.progress) {
    const everyMs = Math.min(options.progress.stallAfterMs / 4, 15_000);
    watching = setInterval(() => {
      void watch.evaluate().then((verdict) => {
        if (!verdict.ok) logger.error({ detail: verdict.detail }, 'consumer stalled');
      });
    }, everyMs).unref();
  }

  return {
    assignment: () => consumer.assignment(),
    lastStatsAt: () => lastStatsAt,
    progress: () => watch.status(),
    sinceLastProgressMs: () => watch.sinceLastProgressMs(),
    async stop() {
      stopping = true;
      clearInterval(watching);
      backOff.stop();
      await consumer.disconnect(); // finishes the record in hand, commits stored offsets, leaves the group
      await stopProducing();
      logger.info(`${service.name} consumer stopped`);
    },
  };
}
