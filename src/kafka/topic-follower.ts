// Follows partitions of a topic from given offsets, outside any consumer group, until told
// to stop: the reading half of `topic tail`. Records of one partition arrive in offset
// order; records of different partitions interleave as the brokers return them.
import kafkaJavascript, { type Message } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { DependencyUnavailableError } from './consumer/errors.js';
import { groupFreeReaderConfig } from './partition-reader.js';

const { KafkaConsumer } = kafkaJavascript;

export interface FollowOptions {
  readonly readCommitted: boolean;
  /** Bound on connecting to the cluster. */
  readonly connectTimeoutMs: number;
  /** Ends the follow: the consumer leaves and the promise resolves. */
  readonly signal: AbortSignal;
}

const POLL_BATCH = 500;
const POLL_WAIT_MS = 200;

/** Calls onRecord for every record from `starts` (partition → first offset) on, awaiting each, until the signal aborts. */
export async function followPartitions(
  kafka: Config['kafka'],
  topic: string,
  starts: ReadonlyMap<number, number>,
  options: FollowOptions,
  onRecord: (record: Message) => void | Promise<void>,
): Promise<void> {
  const consumer = new KafkaConsumer(groupFreeReaderConfig(kafka, 'topic-follower', options.readCommitted));
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: options.connectTimeoutMs }, (error) =>
      error ? reject(new DependencyUnavailableError('kafka', `cannot follow ${topic}: no connection`, { cause: error })) : resolve(),
    ),
  );
  try {
    consumer.setDefaultConsumeTimeout(POLL_WAIT_MS);
    consumer.assign([...starts].map(([partition, offset]) => ({ topic, partition, offset })));
    while (!options.signal.aborted) {
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(POLL_BATCH, (error, messages) => (error ? reject(new DependencyUnavailableError('kafka', `fetching ${topic} failed`, { cause: error })) : resolve(messages))),
      );
      for (const message of batch) {
        if (options.signal.aborted) break;
        await onRecord(message);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
