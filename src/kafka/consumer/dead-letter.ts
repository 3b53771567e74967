// Dead-letter records: the original key, value bytes and headers, plus headers that say
// what failed, where the record came from, which group gave up on it and after how many
// attempts. The DLQ tool reads these headers to list and re-publish records.
import type { KafkaJS } from '@confluentinc/kafka-javascript';

export const DeadLetterHeaders = {
  errorType: 'dlq.error.type',
  errorMessage: 'dlq.error.message',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  group: 'dlq.consumer.group',
  attempts: 'dlq.attempts',
  failedAt: 'dlq.failed.at',
  /**
   * On a re-published record: the one group it is for. The source topic is shared, and the
   * other groups handled the original already (onboarding would publish its enrolment again).
   */
  replayForGroup: 'dlq.replay.group',
  /** On a re-published record: the dead letter it was, `<dlq topic>/<partition>/<offset>`. */
  republishedFrom: 'dlq.republished-from',
} as const;

const DLQ_SUFFIX = '.dlq';
export const deadLetterTopic = (groupId: string): string => `${groupId}${DLQ_SUFFIX}`;
/** The group whose dead letters a topic holds; undefined if it is not a dead-letter topic (its handled topic is not one either). */
export const groupOfDeadLetterTopic = (topic: string): string | undefined => (topic.endsWith(DLQ_SUFFIX) ? topic.slice(0, -DLQ_SUFFIX.length) : undefined);
/**
 * The compacted companion of a dead-letter topic: one record per letter that was acted on,
 * keyed by the letter's position (deadLetterPosition). Dead letters themselves are never
 * deleted or rewritten; this topic is what says which ones still wait.
 */
export const handledTopicOf = (deadLetterTopicName: string): string => `${deadLetterTopicName}.handled`;
/** A dead letter's identity: its place in the dead-letter topic, `<partition>:<offset>`. */
export const deadLetterPosition = (letter: { readonly partition: number; readonly offset: string }): string => `${letter.partition}:${letter.offset}`;

export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaJS.KafkaMessage;
}

export function deadLetterMessage(record: FailedRecord, error: unknown, groupId: string, attempts: number): KafkaJS.Message {
  const headers: KafkaJS.IHeaders = { ...(record.message.headers ?? {}) };
  const failure = error instanceof Error ? error : new Error(String(error));
  headers[DeadLetterHeaders.errorType] = failure.name;
  headers[DeadLetterHeaders.errorMessage] = failure.message.slice(0, 1000);
  headers[DeadLetterHeaders.sourceTopic] = record.topic;
  headers[DeadLetterHeaders.sourcePartition] = String(record.partition);
  headers[DeadLetterHeaders.sourceOffset] = record.message.offset;
  headers[DeadLetterHeaders.group] = groupId;
  headers[DeadLetterHeaders.attempts] = String(attempts);
  headers[DeadLetterHeaders.failedAt] = new Date().toISOString();
  return { key: record.message.key ?? null, value: record.message.value, headers };
}
