import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../../src/kafka/client.js';

const require = createRequire(import.meta.url);
const { createKafkaJsErrorFromLibRdKafkaError } = require('@confluentinc/kafka-javascript/lib/kafkajs/_common.js') as {
  createKafkaJsErrorFromLibRdKafkaError: (error: { code: number; message: string; retriable: boolean }) => Error & { retriable: boolean };
};

describe("the Kafka client library's error conversion", () => {
  it('turns GROUP_COORDINATOR_NOT_AVAILABLE into a retriable error instead of throwing a TypeError', () => {
    const error = createKafkaJsErrorFromLibRdKafkaError({ code: 15, message: 'Broker: Coordinator not available', retriable: true });
    expect(error.name).toBe('KafkaJSGroupCoordinatorNotAvailableError');
    expect(error.retriable).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });
});
