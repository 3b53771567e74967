// The one producer factory. Every producer in the system is idempotent with acks=all:
// a retried send can neither duplicate nor reorder a record within a partition, and an
// acknowledged record is on every in-sync replica.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { KAFKA_STATS_INTERVAL_MS } from '../observability/metrics.js';
import type { Kafka } from './client.js';

export type Producer = KafkaJS.Producer;
export type RecordMetadata = KafkaJS.RecordMetadata;

export interface ProducerTuning {
  /** How long librdkafka waits to batch concurrent sends into one request. */
  readonly lingerMs: number;
  /** Upper bound on a send: past it the send fails instead of waiting for a broker. */
  readonly deliveryTimeoutMs: number;
  /** Makes the producer transactional (consume-transform-produce); one transaction at a time. */
  readonly transactionalId?: string;
  /** Receives librdkafka's statistics every KAFKA_STATS_INTERVAL_MS (see observability/metrics). */
  readonly statsCallback?: (event: { message: string }) => void;
}

export function createIdempotentProducer(kafka: Kafka, tuning: ProducerTuning): Producer {
  return kafka.producer({
    // The KafkaJS-compatible layer leaves idempotence off unless asked (unlike the Java client).
    kafkaJS: {
      idempotent: true,
      acks: -1,
      ...(tuning.transactionalId ? { transactionalId: tuning.transactionalId, maxInFlightRequests: 1 } : {}),
    },
    'linger.ms': tuning.lingerMs,
    'message.timeout.ms': tuning.deliveryTimeoutMs,
    // A broker thread checks its queued messages' timeouts only when it wakes, and while the
    // broker is down it sleeps up to the reconnect back-off (10 s by default). Capping the
    // back-off at 1 s keeps a send's failure within about a second of deliveryTimeoutMs.
    'reconnect.backoff.max.ms': 1000,
    // Java-compatible key hashing (murmur2), so a key maps to the same partition whichever
    // client produced it. The KafkaJS layer sets it too; this states the guarantee.
    partitioner: 'murmur2_random',
    ...(tuning.statsCallback ? { stats_cb: tuning.statsCallback, 'statistics.interval.ms': KAFKA_STATS_INTERVAL_MS } : {}),
  });
}
