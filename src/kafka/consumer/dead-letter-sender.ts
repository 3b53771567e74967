// Dead letters of the per-record and batch modes (the transactional mode puts them in its
// transaction). A letter that cannot be written holds its partition: nothing is skipped.
import type { Logger } from '../../logger.js';
import type { Producer } from '../producer.js';
import type { Pause, PartitionBackOff } from './back-off.js';
import type { OutgoingMessage } from './record-processor.js';

export class DeadLetterSender {
  constructor(
    private readonly producer: Producer,
    private readonly dlqTopic: string,
    private readonly backOff: PartitionBackOff,
    private readonly retryDelayMs: number,
    private readonly logger: Logger,
  ) {}

  async send(letters: readonly OutgoingMessage[], partition: number, pause: Pause): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.producer.send({ topic: this.dlqTopic, messages: letters.map((l) => l.message) });
    } catch (error) {
      this.logger.error({ err: error, dlq: this.dlqTopic, partition }, 'cannot dead-letter the record; retrying');
      this.backOff.retryLater(pause, this.retryDelayMs, error);
    }
  }
}
