// Batch delivery: a polled batch of one partition is decoded whole, what cannot be decoded
// is dead-lettered, and the rest goes to the service in one call (one database
// transaction). When that call fails for a reason other than a dependency outage, the
// records are handed over again one at a time, so that only the failing record is retried
// and, after the bound, dead-lettered.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Logger } from '../../../logger.js';
import type { ConsumerMetrics } from '../../../observability/metrics.js';
import type { Pause, PartitionBackOff } from '../back-off.js';
import type { DeadLetterSender } from '../dead-letter-sender.js';
import { DependencyUnavailableError } from '../errors.js';
import { nextOffset, recordKey, type OutgoingMessage, type RecordProcessor } from '../record-processor.js';
import type { BatchConsumerService, BatchContext, DecodedRecord } from '../service.js';

export interface BatchModeDeps<T> {
  readonly processor: RecordProcessor<T>;
  readonly backOff: PartitionBackOff;
  readonly deadLetters: DeadLetterSender;
  readonly retryDelayMs: number;
  readonly logger: Logger;
  readonly metrics?: ConsumerMetrics | undefined;
  readonly labels: { readonly group: string; readonly topic: string };
}

export function batchMode<T>(service: BatchConsumerService<T>, deps: BatchModeDeps<T>) {
  const { processor, backOff, deadLetters, retryDelayMs, logger, metrics, labels } = deps;
  /** Records dead-lettered in a batch that is to be retried from an earlier record. */
  const deadLettered = new Set<string>();
  const messageAt = (batch: KafkaJS.Batch, record: DecodedRecord<T>) => batch.messages.find((m) => m.offset === record.context.offset)!;

  // eslint-disable-next-line @typescript-eslint/unbound-method -- the client binds pause and resolveOffset to their payload
  async function runBatch({ batch, resolveOffset, pause }: KafkaJS.EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const stopTimer = metrics?.handlerSeconds.startTimer(labels);
    const records: DecodedRecord<T>[] = [];
    const letters: Array<OutgoingMessage & { offset: string }> = [];
    let last: string | undefined;
    let undecodable: { delayMs: number; error: unknown } | undefined;
    for (const message of batch.messages) {
      // Skipped: dead-lettered already, before a retry of its batch sent the consumer back
      // here; or re-published for another group.
      const skip = (deadLettered.size > 0 && deadLettered.has(recordKey(topic, partition, message.offset))) || processor.isReplayForAnotherGroup(message);
      if (!skip) {
        const decoded = await processor.decode(topic, partition, message);
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
      await deadLetters.send(letters, partition, pause);
      for (const letter of letters) deadLettered.add(recordKey(topic, partition, letter.offset));
      const context = { topic, partition, nextOffset: nextOffset(last), logger };
      try {
        await service.handleBatch(records, context);
        for (const record of records) processor.succeeded(topic, partition, record.context.offset);
        metrics?.handled.inc(labels, records.length);
      } catch (error) {
        if (records.length === 0) {
          logger.warn({ err: error, partition }, 'cannot save the position; retrying after back-off');
          return backOff.retryLater(pause, retryDelayMs, error);
        }
        if (error instanceof DependencyUnavailableError) {
          // Not the records' fault: the whole batch waits, with back-off growing per attempt.
          const first = records[0]!;
          const outcome = processor.fail(error, { topic, partition, message: messageAt(batch, first) }, first.context.attempt, first.context.logger);
          return backOff.retryLater(pause, outcome.kind === 'retry' ? outcome.delayMs : retryDelayMs, error);
        }
        if (records.length > 1) logger.warn({ err: error, partition, records: records.length }, 'batch failed; handling its records one at a time');
        await oneAtATime(batch, records, context, resolveOffset, pause);
      }
      stopTimer?.();
      resolveOffset(last);
      if (deadLettered.size > 0) for (const message of batch.messages) deadLettered.delete(recordKey(topic, partition, message.offset));
    }
    if (undecodable) backOff.retryLater(pause, undecodable.delayMs, undecodable.error);
  }

  async function oneAtATime(
    batch: KafkaJS.Batch,
    records: readonly DecodedRecord<T>[],
    context: BatchContext,
    resolveOffset: (offset: string) => void,
    pause: Pause,
  ): Promise<void> {
    const { topic, partition } = batch;
    for (const record of records) {
      const { offset } = record.context;
      try {
        await service.handleBatch([record], { ...context, nextOffset: nextOffset(offset) });
        processor.succeeded(topic, partition, offset);
        metrics?.handled.inc(labels);
      } catch (error) {
        const outcome = processor.fail(error, { topic, partition, message: messageAt(batch, record) }, record.context.attempt, record.context.logger);
        if (outcome.kind === 'retry') {
          const before = batch.messages.findIndex((m) => m.offset === offset) - 1;
          if (before >= 0) resolveOffset(batch.messages[before]!.offset);
          return backOff.retryLater(pause, outcome.delayMs, outcome.error);
        }
        await deadLetters.send([outcome.letter], partition, pause);
        deadLettered.add(recordKey(topic, partition, offset));
      }
    }
    // Dead-lettered records at the end of the batch: their position is saved too.
    try {
      await service.handleBatch([], context);
    } catch (error) {
      logger.warn({ err: error, partition: context.partition }, 'cannot save the position; retrying after back-off');
      backOff.retryLater(pause, retryDelayMs, error);
    }
  }

  return runBatch;
}
