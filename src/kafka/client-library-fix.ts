// @confluentinc/kafka-javascript 1.10.1 converts librdkafka's GROUP_COORDINATOR_NOT_AVAILABLE
// into `KafkaJSGroupCoordinatorNotAvailableError`, a class it never defines: the conversion
// throws inside a librdkafka callback and the process dies. Until the library defines it, it
// is defined here, as the protocol error it is. Imported once by kafka/client.ts, before any
// client exists.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const errors = require('@confluentinc/kafka-javascript/lib/kafkajs/_error.js') as Record<string, unknown> & {
  KafkaJSProtocolError: new (...args: unknown[]) => Error;
};

if (typeof errors.KafkaJSGroupCoordinatorNotAvailableError !== 'function') {
  errors.KafkaJSGroupCoordinatorNotAvailableError = class KafkaJSGroupCoordinatorNotAvailableError extends errors.KafkaJSProtocolError {
    constructor(...args: unknown[]) {
      super(...args);
      this.name = 'KafkaJSGroupCoordinatorNotAvailableError';
    }
  };
}

export {};
