// Acting on dead letters exactly once: re-publishing or discarding them writes their
// handled marks to the handled topic, in one Kafka transaction with the re-published
// records. Every run for a group uses the group's one transactional id, so connecting
// fences any other run for that group (and settles a transaction a crashed run left
// open); the handled marks read after that are final, and a letter marked by another
// run is refused, never sent twice.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../config.js';
import type { Kafka } from '../kafka/client.js';
import { deadLetterPosition, groupOfDeadLetterTopic, handledTopicOf, DeadLetterHeaders } from '../kafka/consumer/dead-letter.js';
import { commitRepeatingTimeouts } from '../kafka/consumer/transaction.js';
import { createIdempotentProducer, type Producer } from '../kafka/producer.js';
import type { Logger } from '../logger.js';
import { readDeadLetters, readHandled, republish, type DeadLetter, type HandledLetters, type HandledMark } from './dead-letters.js';

/** A request the tool refuses to carry out as asked (exit code 3, like replay's refusals). */
export class DeadLetterRefusedError extends Error {
  override readonly name = 'DeadLetterRefusedError';
}

/** librdkafka's codes for a producer whose transactional id another producer took over. */
const FENCED_CODES = new Set([-144 /* _FENCED */, 90 /* PRODUCER_FENCED */, 47 /* INVALID_PRODUCER_EPOCH */]);

/** One id per dead-letter topic: two runs for the same group can never both be live. */
export const deadLetterTransactionalId = (clientId: string, dlqTopic: string): string => `${clientId}-dlq-${groupOfDeadLetterTopic(dlqTopic) ?? dlqTopic}`;

/** The letters at the positions asked for, or every letter still waiting; missing and already-handled ones refused. */
export function chooseLetters(
  letters: readonly DeadLetter[],
  handled: HandledLetters,
  wanted: readonly string[] | 'all-waiting',
  { again }: { readonly again: boolean },
): DeadLetter[] {
  if (wanted === 'all-waiting') return again ? [...letters] : letters.filter((l) => !handled.has(deadLetterPosition(l)));
  const byPosition = new Map(letters.map((l) => [deadLetterPosition(l), l]));
  const missing = wanted.filter((position) => !byPosition.has(position));
  if (missing.length > 0) throw new Error(`no dead letter at ${missing.join(', ')}`);
  const done = again ? [] : wanted.filter((position) => handled.has(position));
  if (done.length > 0) {
    const lines = done.map((position) => `  ${position} ${describeMark(handled.get(position)!)}`);
    throw new DeadLetterRefusedError(`already handled, refusing (republish --again sends them again):\n${lines.join('\n')}`);
  }
  return [...new Set(wanted)].map((position) => byPosition.get(position)!);
}

export function describeMark(mark: HandledMark): string {
  if (mark.action === 'republished') return `republished at ${mark.at}${mark.republishedTo ? ` to ${mark.republishedTo}` : ''}`;
  return `discarded at ${mark.at}${mark.reason ? `: ${mark.reason}` : ''}`;
}

export class DeadLetterHandling {
  private constructor(
    private readonly producer: Producer,
    private readonly kafkaConfig: Config['kafka'],
    private readonly admin: KafkaJS.Admin,
    private readonly dlqTopic: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects the group's transactional producer: its initTransactions fences every other
   * run for the group and waits out the transaction such a run had open. Refused when the
   * handled topic does not exist: marks sent to it would wait for a topic nobody creates.
   */
  static async open(kafka: Kafka, config: Config['kafka'], admin: KafkaJS.Admin, dlqTopic: string, logger: Logger): Promise<DeadLetterHandling> {
    const handledTopic = handledTopicOf(dlqTopic);
    if (!(await admin.listTopics()).includes(handledTopic)) {
      throw new Error(`${handledTopic} does not exist: run scripts/register-schemas to create it`);
    }
    const producer = createIdempotentProducer(kafka, {
      lingerMs: 0,
      deliveryTimeoutMs: config.produceTimeoutMs,
      transactionalId: deadLetterTransactionalId(config.clientId, dlqTopic),
    });
    await producer.connect();
    return new DeadLetterHandling(producer, config, admin, dlqTopic, logger);
  }

  /** The letters and their marks, as they stand now that this run holds the group's transactional id. */
  async read(): Promise<{ letters: DeadLetter[]; handled: HandledLetters }> {
    const [letters, handled] = await Promise.all([readDeadLetters(this.kafkaConfig, this.admin, this.dlqTopic), readHandled(this.kafkaConfig, this.admin, this.dlqTopic)]);
    return { letters, handled };
  }

  /** Sends the letters back to their source topic and marks them republished, all or nothing. */
  async republish(letters: readonly DeadLetter[]): Promise<void> {
    const at = new Date().toISOString();
    await this.inTransaction(async (transaction) => {
      await republish(transaction, this.dlqTopic, letters);
      await this.mark(transaction, letters, (letter) => ({ action: 'republished', at, republishedTo: letter.headers[DeadLetterHeaders.sourceTopic] }));
    });
  }

  /** Marks the letters discarded: they will not be processed. */
  async discard(letters: readonly DeadLetter[], reason: string): Promise<void> {
    const at = new Date().toISOString();
    await this.inTransaction((transaction) => this.mark(transaction, letters, () => ({ action: 'discarded', at, reason })));
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private async mark(transaction: KafkaJS.Transaction, letters: readonly DeadLetter[], mark: (letter: DeadLetter) => HandledMark): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map((letter) => ({ key: deadLetterPosition(letter), value: JSON.stringify(mark(letter)) }));
    await transaction.send({ topic: handledTopicOf(this.dlqTopic), messages });
  }

  private async inTransaction(work: (transaction: KafkaJS.Transaction) => Promise<void>): Promise<void> {
    const transaction = await this.producer.transaction();
    try {
      await work(transaction);
      await commitRepeatingTimeouts(transaction, this.logger);
    } catch (error) {
      // A fenced producer's sends fail with whatever its purged queue says; its abort, or
      // the error itself, says it was fenced.
      if (isFenced(error) || (await this.abortFindingFence(transaction))) {
        // The other run's initTransactions aborted this transaction: nothing of it counts.
        throw new DeadLetterRefusedError(`another dlq run for ${this.dlqTopic} took over while this one was writing; nothing of this run was committed. List the letters again.`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Aborts the transaction; true when that failed because another run fenced this one. */
  private async abortFindingFence(transaction: KafkaJS.Transaction): Promise<boolean> {
    try {
      await transaction.abort();
      return false;
    } catch (abortError) {
      if (isFenced(abortError)) return true;
      this.logger.warn({ err: abortError }, 'transaction abort failed');
      return false;
    }
  }
}

function isFenced(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  return code !== undefined && FENCED_CODES.has(code);
}
