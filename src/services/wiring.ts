// The contract between start-service.ts and each service's wiring (<service>/wiring.ts):
// start-up builds the shared clients once from the validated config; a wiring builds the
// service's handler and storage on them and says how the runtime should run it.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Kafka } from '../kafka/client.js';
import type { ConsumerRuntimeOptions } from '../kafka/consumer/runtime.js';
import type { ConsumerService } from '../kafka/consumer/service.js';
import type { Logger } from '../logger.js';
import type { DeadLetterDepth } from '../operations/dead-letters.js';
import type { SchemaRegistryClient } from '../registry/client.js';

export interface WiringContext {
  /** The validated config; its Kafka client id is the service's own. */
  readonly config: Config;
  readonly logger: Logger;
  readonly kafka: Kafka;
  /** Connected for the service's lifetime. */
  readonly admin: KafkaJS.Admin;
  readonly registry: SchemaRegistryClient;
  /** From the catalog: the service's consumer group, input topic and the schema it reads that topic's contract as. */
  readonly groupId: string;
  readonly topic: string;
  readonly readerSchema: string;
  readonly deadLetters: DeadLetterDepth;
  /** Registers a cleanup for stop(); cleanups run after the consumer stopped, the last registered first. */
  readonly onStop: (cleanup: () => Promise<void> | void) => void;
}

export interface WiredService {
  readonly service: ConsumerService<unknown>;
  /** Runtime options beyond the shared ones. */
  readonly runtime?: Partial<Pick<ConsumerRuntimeOptions, 'transactional' | 'partitionsConsumedConcurrently' | 'maxBatchSize' | 'fetchWaitMs'>>;
  /** Extra routes for the service's HTTP listener (the analytics dashboard). */
  readonly httpRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Further consumers of the service's group on other topics (analytics' onboarding record), run and stopped with it. */
  readonly companions?: readonly ConsumerService<unknown>[];
}

export type ServiceWiring = (context: WiringContext) => Promise<WiredService>;
