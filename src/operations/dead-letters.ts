// Reading a dead-letter topic, what was done with its letters (its handled topic), and
// sending chosen records back to where they came from. Re-published records keep their
// key, value and original headers; the dlq.* headers are dropped and
// `dlq.republished-from` says which dead letter they were. All consumers of the source
// topic see them again, which is safe: every handler is idempotent.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import { DeadLetterHeaders, deadLetterPosition, groupOfDeadLetterTopic, handledTopicOf } from '../kafka/consumer/dead-letter.js';
import type { Producer } from '../kafka/producer.js';
import { readTopicToEnd, type TopicRecord, type Watermarks } from '../kafka/topic-reader.js';

export type DeadLetter = TopicRecord;

/** What was done with a dead letter: the value of its record in the handled topic. */
export interface HandledMark {
  readonly action: 'republished' | 'discarded';
  /** ISO timestamp. */
  readonly at: string;
  /** Why a letter was discarded. */
  readonly reason?: string;
  /** The topic a re-published letter went back to. */
  readonly republishedTo?: string;
}

/** Handled marks by letter position (`<partition>:<offset>`). */
export type HandledLetters = ReadonlyMap<string, HandledMark>;

/**
 * Every record in the dead-letter topic, committed ones only: onboarding writes its dead
 * letters in transactions, and an aborted transaction's letters were never dead letters.
 */
export async function readDeadLetters(kafka: Config['kafka'], admin: KafkaJS.Admin, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  return readTopicToEnd(kafka, topic, await admin.fetchTopicOffsets(topic), { readCommitted: true, timeoutMs });
}

/**
 * Every handled mark of a dead-letter topic, the latest per letter, committed ones only
 * (the dlq tool writes them in the transaction that re-publishes the letters). A handled
 * topic that does not exist yet (register-schemas not run since it was added) holds none.
 */
export async function readHandled(kafka: Config['kafka'], admin: KafkaJS.Admin, dlqTopic: string, timeoutMs = 30_000): Promise<HandledLetters> {
  const topic = handledTopicOf(dlqTopic);
  const watermarks = await watermarksIfExists(admin, topic);
  return watermarks ? handledFrom(await readTopicToEnd(kafka, topic, watermarks, { readCommitted: true, timeoutMs })) : new Map();
}

function handledFrom(records: readonly TopicRecord[]): HandledLetters {
  const handled = new Map<string, HandledMark>();
  for (const record of records) {
    const position = record.key?.toString();
    if (position === undefined) continue;
    // A tombstone takes the mark back: the letter waits again.
    if (record.value === null) handled.delete(position);
    else handled.set(position, JSON.parse(record.value.toString()) as HandledMark);
  }
  return handled;
}

/** A topic's offsets, or undefined when the topic does not exist. */
async function watermarksIfExists(admin: KafkaJS.Admin, topic: string): Promise<Watermarks | undefined> {
  try {
    return await admin.fetchTopicOffsets(topic);
  } catch (error) {
    // Asked only after a failure: the common case costs one request, not two.
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    throw error;
  }
}

/**
 * How many dead letters of a topic are still waiting (not marked handled), for the gauge
 * and the dashboard. Offsets cannot tell (a transactional topic's commit markers and
 * aborted letters take offsets too), so the letters are counted by reading them, again
 * only when the offsets of the topic or of its handled topic moved.
 */
export class DeadLetterDepth {
  private readonly counted = new Map<string, { readonly offsets: string; readonly waiting: number }>();

  constructor(
    private readonly kafka: Config['kafka'],
    private readonly admin: KafkaJS.Admin,
  ) {}

  async of(topic: string): Promise<number> {
    const [watermarks, handledWatermarks] = await Promise.all([this.admin.fetchTopicOffsets(topic), watermarksIfExists(this.admin, handledTopicOf(topic))]);
    const describe = (w: Watermarks) => w.map((p) => `${p.partition}:${p.low}-${p.high}`).join(',');
    const offsets = `${describe(watermarks)}|${handledWatermarks ? describe(handledWatermarks) : '-'}`;
    const known = this.counted.get(topic);
    if (known?.offsets === offsets) return known.waiting;
    const read = { readCommitted: true, timeoutMs: 5000 };
    const [letters, handled] = await Promise.all([
      readTopicToEnd(this.kafka, topic, watermarks, read),
      handledWatermarks ? readTopicToEnd(this.kafka, handledTopicOf(topic), handledWatermarks, read).then(handledFrom) : new Map<string, HandledMark>(),
    ]);
    const waiting = letters.filter((letter) => !handled.has(deadLetterPosition(letter))).length;
    this.counted.set(topic, { offsets, waiting });
    return waiting;
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
    headers[DeadLetterHeaders.republishedFrom] = `${dlqTopic}/${letter.partition}/${letter.offset}`;
    headers[DeadLetterHeaders.replayForGroup] = group;
    await producer.send({ topic: letter.headers[DeadLetterHeaders.sourceTopic]!, messages: [{ key: letter.key, value: letter.value, headers }] });
  }
  return letters.length;
}
