// Wires one consumer service to Kafka, the registry and its storage, and runs it on the
// shared consumer runtime. Every service runs as its own process (src/cli/consumer.ts);
// more instances of one service share its group's partitions.
import type { Config } from '../config.js';
import { createPool } from '../db/pool.js';
import { consumerGroups } from '../events/catalog.js';
import { loadSchemaHistory } from '../events/schema-history.js';
import { valueSubject } from '../events/subjects.js';
import { USER_REGISTERED_FOR_ONBOARDING } from '../events/user-registered-for-onboarding.js';
import { USER_SIGNED_UP } from '../events/user-signed-up.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { createKafka } from '../kafka/client.js';
import { readPartitionToEnd } from '../kafka/partition-reader.js';
import { runConsumer, type RunningConsumer } from '../kafka/consumer/runtime.js';
import { transactionalIdFor } from '../kafka/consumer/transaction.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import { dashboardData, dashboardRoutes } from './analytics/dashboard/routes.js';
import { consumerMetrics, createMetricsRegistry, deadLetterGauge, librdkafkaStatsCallback, type Registry } from '../observability/metrics.js';
import { DeadLetterDepth } from '../operations/dead-letters.js';
import { deadLetterTopic } from '../kafka/consumer/dead-letter.js';
import { AvroEncoder } from '../registry/avro-encoder.js';
import { createRegistryClient } from '../registry/client.js';
import { registeredSchemaId } from '../registry/schema-id.js';
import { analyticsService } from './analytics/service.js';
import { AnalyticsStore } from './analytics/store.js';
import { WelcomeEmailLedger } from './email/ledger.js';
import { createMailer, emailService } from './email/service.js';
import { EnrolledUsers } from './onboarding/enrolled-users.js';
import { onboardingService } from './onboarding/service.js';
import { onboardingTracker } from './onboarding/tracker.js';
import { OnboardingStateStore } from './onboarding/tracker-store.js';

// Partition batches in flight at once in one process; measured by scripts/bench (docs/BENCHMARKS.md).
const ANALYTICS_PARTITIONS_CONCURRENTLY = 3;
const ONBOARDING_PARTITIONS_CONCURRENTLY = 6;
// Reading an enrolment partition waits for transactions still open on it; past this the
// record is retried later (Kafka's own transaction timeout is 60 s).
const ENROLMENT_READ_TIMEOUT_MS = 30_000;

export const SERVICE_NAMES = ['email', 'analytics', 'onboarding', 'onboarding-tracker'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface RunningService {
  readonly name: ServiceName;
  readonly consumer: RunningConsumer;
  readonly metrics: Registry;
  /** Extra routes for the service's HTTP listener (the analytics dashboard). */
  readonly httpRoutes?: (app: FastifyInstance) => Promise<void>;
  stop(): Promise<void>;
}

export async function startService(name: ServiceName, config: Config, logger: Logger): Promise<RunningService> {
  const kafka = createKafka(config.kafka, logger);
  const registry = createRegistryClient(config.registry);
  const groups = consumerGroups(config);
  const signupsTopic = config.topics.signups.name;
  const onboardingTopic = config.topics.onboarding.name;
  // Each service reads its input contract as the newest version this build knows.
  const reader = (event: string) => loadSchemaHistory(event).latest.schema;
  const metrics = createMetricsRegistry(name);
  const runtime = {
    kafka,
    registry,
    logger,
    retry: config.consumers.retry,
    maxBatchSize: config.consumers.maxBatchSize,
    sessionTimeoutMs: config.consumers.sessionTimeoutMs,
    produceTimeoutMs: config.kafka.produceTimeoutMs,
    metrics: consumerMetrics(metrics),
    statsCallback: librdkafkaStatsCallback(metrics, `${name}-consumer`),
  };
  const cleanups: Array<() => Promise<void> | void> = [];
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const deadLetters = new DeadLetterDepth(config.kafka, admin);
  deadLetterGauge(metrics, groups[name], () => deadLetters.of(deadLetterTopic(groups[name])));

  let consumer: RunningConsumer;
  let httpRoutes: RunningService['httpRoutes'];
  switch (name) {
    case 'email': {
      const pool = createPool(config.database.url);
      cleanups.push(() => pool.end());
      const ledger = new WelcomeEmailLedger(pool);
      await ledger.init();
      const mailer = createMailer(config.mail.smtpUrl, { requireTls: config.mail.requireTls });
      // An idle pooled connection that times out or drops is reported here, outside any
      // send; unhandled, the 'error' event would end the process (found by the fault suite).
      mailer.on('error', (err) => logger.warn({ err }, 'idle SMTP connection failed; the pool opens a new one for the next email'));
      cleanups.push(() => mailer.close());
      consumer = await runConsumer(
        emailService({ groupId: groups.email, topic: signupsTopic, readerSchema: reader(USER_SIGNED_UP), ledger, mailer, from: config.mail.from }),
        runtime,
      );
      break;
    }
    case 'analytics': {
      const pool = createPool(config.database.url);
      cleanups.push(() => pool.end());
      const store = new AnalyticsStore(pool, config.analytics.dbSchema);
      await store.init();
      consumer = await runConsumer(
        analyticsService({ groupId: groups.analytics, topic: signupsTopic, readerSchema: reader(USER_SIGNED_UP), store }),
        // While one partition's batch is in the database, the next one is decoded.
        { ...runtime, partitionsConsumedConcurrently: ANALYTICS_PARTITIONS_CONCURRENTLY },
      );
      const lagSources = SERVICE_NAMES.map((service) => ({
        service,
        groupId: groups[service],
        topic: service === 'onboarding-tracker' ? onboardingTopic : signupsTopic,
        transactional: service === 'onboarding-tracker',
      }));
      httpRoutes = async (app) => {
        await app.register(dashboardRoutes, { data: () => dashboardData(store, admin, config.kafka, lagSources, deadLetters) });
      };
      break;
    }
    case 'onboarding': {
      const output = loadSchemaHistory(USER_REGISTERED_FOR_ONBOARDING).latest;
      const schemaId = await registeredSchemaId(registry, valueSubject(onboardingTopic), output);
      await requireSamePartitionCount(admin, signupsTopic, onboardingTopic);
      const enrolledUsers = new EnrolledUsers((partition, onRecord) =>
        readPartitionToEnd(config.kafka, onboardingTopic, partition, { readCommitted: true, timeoutMs: ENROLMENT_READ_TIMEOUT_MS }, onRecord),
      );
      consumer = await runConsumer(
        onboardingService({
          groupId: groups.onboarding,
          inputTopic: signupsTopic,
          outputTopic: onboardingTopic,
          readerSchema: reader(USER_SIGNED_UP),
          encoder: new AvroEncoder(schemaId, output.schema),
          enrolledUsers,
        }),
        // Batches of several partitions share a transaction when they finish together.
        { ...runtime, transactional: { transactionalId: transactionalIdFor(groups.onboarding, config.instanceId) }, partitionsConsumedConcurrently: ONBOARDING_PARTITIONS_CONCURRENTLY },
      );
      break;
    }
    case 'onboarding-tracker': {
      const pool = createPool(config.database.url);
      cleanups.push(() => pool.end());
      const store = new OnboardingStateStore(pool);
      await store.init();
      consumer = await runConsumer(
        onboardingTracker({ groupId: groups['onboarding-tracker'], topic: onboardingTopic, readerSchema: reader(USER_REGISTERED_FOR_ONBOARDING), store }),
        runtime,
      );
      break;
    }
  }

  return {
    name,
    consumer,
    metrics,
    ...(httpRoutes ? { httpRoutes } : {}),
    async stop() {
      await consumer.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** Onboarding pins each enrolment to its signup's partition number: both topics need the same count. */
async function requireSamePartitionCount(admin: KafkaJS.Admin, input: string, output: string): Promise<void> {
  const topics = await admin.fetchTopicMetadata({ topics: [input, output] });
  const counts = [input, output].map((name) => topics.find((t) => t.name === name)?.partitions.length);
  if (counts[0] !== counts[1]) {
    throw new Error(`${input} has ${counts[0]} partitions and ${output} ${counts[1]}: onboarding needs the same number on both (SIGNUP_TOPIC_PARTITIONS)`);
  }
}
