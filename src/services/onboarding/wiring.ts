// The onboarding service on the shared clients: consume-transform-produce in Kafka
// transactions, its output encoded with the registered UserRegisteredForOnboarding schema.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { loadSchemaHistory } from '../../events/schema-history.js';
import { valueSubject } from '../../events/subjects.js';
import { USER_REGISTERED_FOR_ONBOARDING } from '../../events/user-registered-for-onboarding.js';
import { transactionalIdFor } from '../../kafka/consumer/transaction.js';
import { readPartitionToEnd } from '../../kafka/partition-reader.js';
import { AvroEncoder } from '../../registry/avro-encoder.js';
import { registeredSchemaId } from '../../registry/schema-id.js';
import type { ServiceWiring } from '../wiring.js';
import { EnrolledUsers } from './enrolled-users.js';
import { onboardingService } from './service.js';

// Partition batches in flight at once in one process, tuned with scripts/bench.
const ONBOARDING_PARTITIONS_CONCURRENTLY = 6;
// Reading an enrolment partition waits for transactions still open on it; past this the
// record is retried later (Kafka's own transaction timeout is 60 s).
const ENROLMENT_READ_TIMEOUT_MS = 30_000;

export const wireOnboarding: ServiceWiring = async ({ config, admin, registry, groupId, topic, readerSchema }) => {
  const outputTopic = config.topics.onboarding.name;
  const output = loadSchemaHistory(USER_REGISTERED_FOR_ONBOARDING).latest;
  const schemaId = await registeredSchemaId(registry, valueSubject(outputTopic), output);
  await requireSamePartitionCount(admin, topic, outputTopic);
  const enrolledUsers = new EnrolledUsers((partition, onRecord) =>
    readPartitionToEnd(config.kafka, outputTopic, partition, { readCommitted: true, timeoutMs: ENROLMENT_READ_TIMEOUT_MS }, onRecord),
  );
  return {
    service: onboardingService({
      groupId,
      inputTopic: topic,
      outputTopic,
      readerSchema,
      encoder: new AvroEncoder(schemaId, output.schema),
      enrolledUsers,
    }),
    // Batches of several partitions share a transaction when they finish together.
    runtime: { transactional: { transactionalId: transactionalIdFor(groupId, config.instanceId) }, partitionsConsumedConcurrently: ONBOARDING_PARTITIONS_CONCURRENTLY },
  };
};

/** Onboarding pins each enrolment to its signup's partition number: both topics need the same count. */
async function requireSamePartitionCount(admin: KafkaJS.Admin, input: string, output: string): Promise<void> {
  const topics = await admin.fetchTopicMetadata({ topics: [input, output] });
  const counts = [input, output].map((name) => topics.find((t) => t.name === name)?.partitions.length);
  if (counts[0] !== counts[1]) {
    throw new Error(`${input} has ${counts[0]} partitions and ${output} ${counts[1]}: onboarding needs the same number on both (SIGNUP_TOPIC_PARTITIONS)`);
  }
}
