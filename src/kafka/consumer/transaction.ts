// The transaction mechanics of consume-transform-produce: one transactional producer per
// process, one transaction open at a time, batches of several partitions committed
// together (group commit), a commit that timed out committed again, a failed transaction
// aborted or its producer replaced, and every transaction finished within a bound.
import { randomUUID } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Logger } from '../../logger.js';
import type { Kafka } from '../client.js';
import { createIdempotentProducer, type Producer } from '../producer.js';
import { nextOffset, type OutgoingMessage } from './record-processor.js';

export interface TransactionalBatch {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
  readonly records: readonly OutgoingMessage[];
}

export interface TransactionalCommitterOptions {
  readonly kafka: Kafka;
  readonly transactionalId: string;
  /** The consumer whose group metadata goes with the offsets (KIP-447 fencing). */
  readonly consumer: KafkaJS.Consumer;
  readonly produceTimeoutMs: number;
  readonly logger: Logger;
}

/** Each waits up to librdkafka's 5 s for the coordinator. */
const ABORT_ATTEMPTS = 6;
const COMMIT_ATTEMPTS = 6;
const ERR_TIMED_OUT = -185;

/**
 * The transactional id of a consume-transform-produce process. With a stable instance id,
 * a restarted instance's first initTransactions fences its predecessor and settles the
 * transaction it left open at once; with a random one (no INSTANCE_ID) that transaction
 * stays open until transaction.timeout.ms, and read_committed readers of its partitions
 * wait that long. Zombies are fenced either way by the group generation (KIP-447).
 */
export function transactionalIdFor(groupId: string, instanceId: string | undefined): string {
  return instanceId ? `${groupId}-${instanceId}` : `${groupId}-${process.env.HOSTNAME ?? 'local'}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * A commit that timed out may still complete on the coordinator: librdkafka's rule is to
 * call commit again, never to abort it (an abort is refused while the commit is in flight).
 */
export async function commitRepeatingTimeouts(transaction: KafkaJS.Transaction, logger: Logger): Promise<void> {
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
}

export class TransactionalCommitter {
  private producer: Producer;
  private producerReady: Promise<void> = Promise.resolve();
  private waiting: Array<TransactionalBatch & { settle: (error?: Error) => void }> = [];
  private committing = false;
  /**
   * A transaction must finish within a bound: one that never settles (a broker died under
   * it) would hold every partition. Past the bound it counts as failed.
   */
  private readonly boundMs: number;

  constructor(private readonly options: TransactionalCommitterOptions) {
    this.producer = this.newProducer();
    this.boundMs = 4 * options.produceTimeoutMs + COMMIT_ATTEMPTS * 5000 + 10_000;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /**
   * Produces the batch's records and commits its input position (the offset after its last
   * record) atomically, in a transaction shared with the batches of other partitions that
   * finish while one commits. Rejects if that transaction failed.
   */
  commit(batch: TransactionalBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ ...batch, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      // Not awaited: drain settles every waiting batch itself and never rejects.
      if (!this.committing) void this.drain();
    });
  }

  async stop(): Promise<void> {
    await this.producer.flush({ timeout: this.options.produceTimeoutMs }).catch(() => undefined);
    await this.producer.disconnect();
  }

  private async drain(): Promise<void> {
    this.committing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      const failure = await this.commitWithinBound(group).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error('transaction failed', { cause: error })),
      );
      for (const member of group) member.settle(failure);
    }
    this.committing = false;
  }

  private commitWithinBound(group: readonly TransactionalBatch[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let producer: Producer | undefined;
      const timer = setTimeout(() => {
        this.replace(producer ?? this.producer);
        reject(new Error(`transaction did not finish within ${this.boundMs} ms`));
      }, this.boundMs);
      this.connectedProducer()
        .then((connected) => {
          producer = connected;
          return this.commitOn(connected, group);
        })
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  }

  /** One transaction on one producer: everything it does on failure concerns that producer only. */
  private async commitOn(producer: Producer, batches: readonly TransactionalBatch[]): Promise<void> {
    const transaction = await producer.transaction();
    try {
      const byTopic = new Map<string, KafkaJS.Message[]>();
      for (const record of batches.flatMap((b) => b.records)) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record.message]);
      // One request for everything: awaiting each send would wait for each ack in turn.
      if (byTopic.size > 0) await transaction.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      const positions = new Map<string, Array<{ partition: number; offset: string }>>();
      // The committed offset is the next one to read, hence + 1.
      for (const b of batches) positions.set(b.topic, [...(positions.get(b.topic) ?? []), { partition: b.partition, offset: nextOffset(b.lastOffset) }]);
      await transaction.sendOffsets({ consumer: this.options.consumer, topics: [...positions].map(([topic, partitions]) => ({ topic, partitions })) });
      await commitRepeatingTimeouts(transaction, this.options.logger);
    } catch (error) {
      await this.abortOrReplace(producer, transaction);
      throw error;
    }
  }

  /**
   * An abort can time out while the coordinator moves (a broker died): librdkafka asks for
   * the call to be repeated, and until an abort succeeds the client refuses to begin
   * another transaction. Past the attempts, or on a fatal error, the producer is replaced:
   * the new one, with the same transactional id, fences the old one, and the coordinator
   * settles what the old one left open.
   */
  private async abortOrReplace(producer: Producer, transaction: KafkaJS.Transaction): Promise<void> {
    for (let attempt = 1; attempt <= ABORT_ATTEMPTS; attempt++) {
      try {
        await transaction.abort();
        return;
      } catch (abortError) {
        this.options.logger.warn({ err: abortError, attempt }, 'transaction abort failed');
        if ((abortError as { fatal?: boolean }).fatal) break;
      }
    }
    this.replace(producer);
  }

  /**
   * Replaces `failed` if it is still the current producer. A late failure of an attempt
   * that was already given up on (past the bound) must not replace, and so fence, the
   * healthy producer that took its place.
   */
  private replace(failed: Producer): void {
    if (this.producer !== failed) return;
    this.options.logger.warn('replacing the transactional producer');
    this.producer = this.newProducer();
    void failed.disconnect().catch(() => undefined);
    this.producerReady = this.producer.connect();
    this.producerReady.catch(() => undefined); // awaited by the next transaction, which reports it
  }

  /** The producer, connected; a replacement whose connect failed is replaced again. */
  private async connectedProducer(): Promise<Producer> {
    try {
      await this.producerReady;
    } catch {
      this.producer = this.newProducer();
      this.producerReady = this.producer.connect();
      await this.producerReady;
    }
    return this.producer;
  }

  // No linger: a transaction awaits its records' acks, so waiting to batch only adds latency.
  private newProducer(): Producer {
    return createIdempotentProducer(this.options.kafka, {
      lingerMs: 0,
      deliveryTimeoutMs: this.options.produceTimeoutMs,
      transactionalId: this.options.transactionalId,
    });
  }
}
