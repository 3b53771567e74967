// The one place that turns configuration into a librdkafka-backed client. Producers,
// consumers and the admin client are all made from the instance this returns.
import { KafkaJS } from '@confluentinc/kafka-javascript';
import './client-library-fix.js';
import type { Config, KafkaSecurity } from '../config.js';
import type { Logger } from '../logger.js';

export type Kafka = KafkaJS.Kafka;

export function createKafka(config: Config['kafka'], logger: Logger): Kafka {
  return new KafkaJS.Kafka({
    ...librdkafkaSecurity(config.security),
    kafkaJS: {
      brokers: [...config.brokers],
      clientId: config.clientId,
      // librdkafka's info chatter (connects, rebalances) is noise in service logs.
      logLevel: KafkaJS.logLevel.WARN,
      logger: kafkaLogger(logger.child({ component: 'kafka' })),
    },
  });
}

/** Brokers, client id and security as librdkafka properties, for the client's lower-level API. */
export function librdkafkaConnection(config: Config['kafka']): Record<string, string> {
  return { 'metadata.broker.list': config.brokers.join(','), 'client.id': config.clientId, ...librdkafkaSecurity(config.security) };
}

/** The connection's security as librdkafka properties (validated in config.ts). */
export function librdkafkaSecurity(security: KafkaSecurity): Record<string, string> {
  return {
    'security.protocol': security.protocol.toLowerCase(),
    ...(security.sasl ? { 'sasl.mechanisms': security.sasl.mechanism, 'sasl.username': security.sasl.username, 'sasl.password': security.sasl.password } : {}),
    ...(security.caLocation ? { 'ssl.ca.location': security.caLocation } : {}),
  };
}

/** Routes the client's messages (its own and librdkafka's) into pino. */
function kafkaLogger(logger: Logger): KafkaJS.Logger {
  return {
    info: (message, extra) => logger.info(extra ?? {}, message),
    error: (message, extra) => logger.error(extra ?? {}, message),
    warn: (message, extra) => logger.warn(extra ?? {}, message),
    debug: (message, extra) => logger.debug(extra ?? {}, message),
    namespace: (namespace) => kafkaLogger(logger.child({ namespace })),
    setLogLevel: () => {}, // pino's own level decides what is written
  };
}
