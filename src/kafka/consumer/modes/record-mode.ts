// Per-record delivery: each record is handled on its own; its offset is stored for commit
// once the handler succeeded or the record was dead-lettered.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { PartitionBackOff } from '../back-off.js';
import type { DeadLetterSender } from '../dead-letter-sender.js';
import type { RecordProcessor } from '../record-processor.js';
import type { RecordConsumerService } from '../service.js';

export interface RecordModeDeps<T> {
  readonly processor: RecordProcessor<T>;
  readonly backOff: PartitionBackOff;
  readonly deadLetters: DeadLetterSender;
}

export function recordMode<T>(service: RecordConsumerService<T>, { processor, backOff, deadLetters }: RecordModeDeps<T>) {
  const handle = service.handle.bind(service);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the client binds pause to its payload
  return async ({ topic, partition, message, pause }: KafkaJS.EachMessagePayload): Promise<void> => {
    const outcome = await processor.process(handle, topic, partition, message, false);
    if (outcome.kind === 'retry') return backOff.retryLater(pause, outcome.delayMs, outcome.error);
    if (outcome.kind === 'dead-letter') await deadLetters.send([outcome.letter], partition, pause);
  };
}
