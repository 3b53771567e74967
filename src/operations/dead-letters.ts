// Reading a dead-letter topic and sending chosen records back to where they came from.
// Re-published records keep their key, value and original headers; the dlq.* headers are
// dropped and `dlq.republished-from` says which dead letter they were. All consumers of
// the source topic see them again, which is safe: every handler is idempotent.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { DeadLetterHeaders, groupOfDeadLetterTopic } from '../kafka/consumer/dead-letter.js';
import type { Producer } from '../kafka/producer.js';
import { readTopicToEnd, type TopicRecord } from '../kafka/topic-reader.js';

export type DeadLetter = TopicRecord;

/**
 * Every record in the dead-letter topic, committed ones only: onboarding writes its dead
 * letters in transactions, and an aborted transaction's letters were never dead letters.
 */
export async function readDeadLetters(kafka: Config['kafka'], admin: KafkaJS.Admin, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  return readTopicToEnd(kafka, topic, await admin.fetchTopicOffsets(topic), { readCommitted: true, timeoutMs });
}

/**
 * How many dead letters a topic holds, for the gauge and the dashboard. Offsets cannot
 * tell (a transactional topic's commit markers and aborted letters take offsets too), so
 * the letters are counted by reading them, again only when the topic's offsets moved.
 */
export class DeadLetterDepth {
  private readonly counted = new Map<string, { readonly offsets: string; readonly letters: number }>();

  constructor(
    private readonly kafka: Config['kafka'],
    private readonly admin: KafkaJS.Admin,
  ) {}

  async of(topic: string): Promise<number> {
    const watermarks = await this.admin.fetchTopicOffsets(topic);
    const offsets = watermarks.map((w) => `${w.partition}:${w.low}-${w.high}`).join(',');
    const known = this.counted.get(topic);
    if (known?.offsets === offsets) return known.letters;
    const letters = (await readTopicToEnd(this.kafka, topic, watermarks, { readCommitted: true, timeoutMs: 5000 })).length;
    this.counted.set(topic, { offsets, letters });
    return letters;
  }
}

/**
 * Sends the letters back to their source topic for the one group whose dead-letter topic
 * they come from (the other groups of the shared source topic skip them). A letter that
 * names another group is refused: every consumer would skip it, silently.
 */
export async function republish(producer: Producer, dlqTopic: string, letters: readonly DeadLetter[]): Promise<number> {
  const group = groupOfDeadLetterTopic(dlqTopic);
  if (!group) throw new Error(`${dlqTopic} is not a dead-letter topic (<group>.dlq)`);
  for (const letter of letters) {
    const source = letter.headers[DeadLetterHeaders.sourceTopic];
    if (!source) throw new Error(`dead letter ${letter.partition}:${letter.offset} has no ${DeadLetterHeaders.sourceTopic} header`);
    const named = letter.headers[DeadLetterHeaders.group];
    if (named !== undefined && named !== group) {
      throw new Error(`dead letter ${letter.partition}:${letter.offset} in ${dlqTopic} names group ${named}: refusing, no consumer of ${group} would act on it`);
    }
  }
  for (const letter of letters) {
    const headers = Object.fromEntries(Object.entries(letter.headers).filter(([k]) => !k.startsWith('dlq.')));
    headers['dlq.republished-from'] = `${dlqTopic}/${letter.partition}/${letter.offset}`;
    headers[DeadLetterHeaders.replayForGroup] = group;
    await producer.send({ topic: letter.headers[DeadLetterHeaders.sourceTopic]!, messages: [{ key: letter.key, value: letter.value, headers }] });
  }
  return letters.length;
}
