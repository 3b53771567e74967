// Reads one partition from its beginning to its end, outside any consumer group. The end
// is the high watermark when the read starts; on a transactional topic a read_committed
// reader gets there only once every transaction written before that point has committed
// or aborted, so what it returns is settled, never a guess about an open transaction.
import { randomUUID } from 'node:crypto';
import kafkaJavascript, { type ConsumerGlobalConfig, type ConsumerTopicConfig, type Message } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { librdkafkaConnection } from './client.js';
import { DependencyUnavailableError } from './consumer/errors.js';

// A CommonJS package whose lower-level classes Node's ESM loader cannot see as named exports.
const { KafkaConsumer } = kafkaJavascript;

export interface PartitionReadOptions {
  readonly readCommitted: boolean;
  /** First offset to read; unset: the partition's beginning (its log start, after retention). */
  readonly from?: number;
  /** Bound on the whole read: connecting, waiting for open transactions, reading. */
  readonly timeoutMs: number;
}

/**
 * A consumer that is assigned partitions and never joins, commits to or creates a group:
 * librdkafka wants a group id for any consumer, and a random one is never used.
 */
export function groupFreeReaderConfig(kafka: Config['kafka'], purpose: string, readCommitted: boolean): ConsumerGlobalConfig & ConsumerTopicConfig {
  return {
    ...librdkafkaConnection(kafka),
    'group.id': `${purpose}-${randomUUID()}`,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'isolation.level': readCommitted ? 'read_committed' : 'read_uncommitted',
    // A start offset below the log start (deleted by retention) means the log start.
    'auto.offset.reset': 'earliest',
  };
}

const POLL_BATCH = 1000;

const OFFSET_BEGINNING = -2;

/** What onRecord answers: 'stop' ends the read before the partition's end. */
export type RecordVerdict = void | 'stop';

/**
 * Calls onRecord for every record of the partition (from `from`) in offset order, awaiting
 * each answer before the next record, then resolves.
 */
export async function readPartitionToEnd(
  kafka: Config['kafka'],
  topic: string,
  partition: number,
  options: PartitionReadOptions,
  onRecord: (record: Message) => RecordVerdict | Promise<RecordVerdict>,
): Promise<void> {
  const consumer = new KafkaConsumer({ ...groupFreeReaderConfig(kafka, 'partition-reader', options.readCommitted), 'enable.partition.eof': true });
  const deadline = Date.now() + options.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const failure = (what: string, cause?: unknown) =>
    new DependencyUnavailableError('kafka', `cannot read ${topic}/${partition} to its end: ${what}`, cause === undefined ? undefined : { cause });
  try {
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: remaining() }, (error) => (error ? reject(failure('no connection', error)) : resolve())));
    // A read_committed fetch stops at the last stable offset, and a partition's last offsets
    // can be transaction markers that no reader receives: the read is over when librdkafka's
    // end-of-partition position, not a record, reaches the end. The end is the high
    // watermark of the first fetch (the client's own watermark query would give the last
    // stable offset, which stops short of a transaction still open).
    let reached = -1;
    consumer.on('partition.eof', (eof) => {
      if (eof.partition === partition) reached = Math.max(reached, eof.offset);
    });
    consumer.setDefaultConsumeTimeout(100);
    consumer.assign([{ topic, partition, offset: options.from ?? OFFSET_BEGINNING }]);
    let end: number | undefined;
    while (end === undefined || reached < end) {
      if (Date.now() >= deadline) {
        throw failure(end === undefined ? `no fetch answered within ${options.timeoutMs} ms` : `still before offset ${end} after ${options.timeoutMs} ms (a transaction left open?)`);
      }
      const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(POLL_BATCH, (error, messages) => (error ? reject(failure('fetch failed', error)) : resolve(messages))));
      if (end === undefined) {
        const high = consumer.getWatermarkOffsets(topic, partition).highOffset;
        if (high >= 0) end = high;
      }
      for (const message of batch) {
        if (end !== undefined && message.offset >= end) {
          reached = end;
          break;
        }
        if ((await onRecord(message)) === 'stop') return;
        reached = Math.max(reached, message.offset + 1);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
