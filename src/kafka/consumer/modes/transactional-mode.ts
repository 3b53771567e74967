// Consume-transform-produce: every output record and dead letter of a polled batch, plus
// the input position after its last record, commit or abort together in one Kafka
// transaction (shared with the batches of other partitions that finish at the same time).
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Logger } from '../../../logger.js';
import type { PartitionBackOff } from '../back-off.js';
import type { OutgoingMessage, RecordProcessor } from '../record-processor.js';
import type { RecordConsumerService } from '../service.js';
import type { TransactionalCommitter } from '../transaction.js';

export interface TransactionalModeDeps<T> {
  readonly processor: RecordProcessor<T>;
  readonly backOff: PartitionBackOff;
  readonly committer: TransactionalCommitter;
  readonly retryDelayMs: number;
  readonly logger: Logger;
}

export function transactionalMode<T>(service: RecordConsumerService<T>, { processor, backOff, committer, retryDelayMs, logger }: TransactionalModeDeps<T>) {
  const handle = service.handle.bind(service);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the client binds pause and resolveOffset to their payload
  return async ({ batch, resolveOffset, pause }: KafkaJS.EachBatchPayload): Promise<void> => {
    const pending: OutgoingMessage[] = [];
    let last: string | undefined;
    const flush = async () => {
      if (last === undefined) return;
      try {
        await committer.commit({ topic: batch.topic, partition: batch.partition, lastOffset: last, records: pending });
      } catch (error) {
        // What the service built on this batch did not commit, or its outcome is unknown.
        service.resetPartitionState?.([batch.partition]);
        logger.warn({ err: error, partition: batch.partition }, 'transaction failed; retrying the batch after back-off');
        return backOff.retryLater(pause, retryDelayMs, error);
      }
      resolveOffset(last);
    };
    for (const message of batch.messages) {
      const outcome = await processor.process(handle, batch.topic, batch.partition, message, true);
      if (outcome.kind === 'retry') {
        await flush(); // what was handled before the failing record stays handled
        return backOff.retryLater(pause, outcome.delayMs, outcome.error);
      }
      pending.push(...(outcome.kind === 'done' ? outcome.outputs : [outcome.letter]));
      last = message.offset;
    }
    await flush();
  };
}
