// Every event contract the system publishes: which schema directory, which topic, and the
// compatibility level its subject is governed by. scripts/register-schemas works from this.
import { Compatibility } from '../registry/library.js';
import type { Config } from '../config.js';
import { USER_REGISTERED_FOR_ONBOARDING } from './user-registered-for-onboarding.js';
import { USER_SIGNED_UP } from './user-signed-up.js';
import { deadLetterTopic, handledTopicOf } from '../kafka/consumer/dead-letter.js';
import { consumerGroups } from '../services/catalog.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface EventContract {
  /** Directory under schemas/ holding v1.avsc, v2.avsc, … */
  readonly event: string;
  readonly topic: TopicSpec;
  /**
   * FULL_TRANSITIVE for every event: topics are the source of truth and get replayed from
   * the beginning, so the newest reader must read every version ever written (backward,
   * transitively), and consumers still on an older schema must read what newer producers
   * write during a rolling deploy (forward).
   */
  readonly compatibility: Compatibility;
}

export function eventCatalog(config: Config): EventContract[] {
  // Kafka's default retention (7 days) would quietly cut every replay and rebuild to a week.
  const topicConfig = { 'min.insync.replicas': String(config.topics.minInsyncReplicas), 'retention.ms': String(config.topics.eventRetentionMs) };
  return [
    {
      event: USER_SIGNED_UP,
      topic: {
        name: config.topics.signups.name,
        partitions: config.topics.signups.partitions,
        replicationFactor: config.topics.replicationFactor,
        config: topicConfig,
      },
      compatibility: Compatibility.FULL_TRANSITIVE,
    },
    {
      event: USER_REGISTERED_FOR_ONBOARDING,
      topic: {
        name: config.topics.onboarding.name,
        partitions: config.topics.signups.partitions,
        replicationFactor: config.topics.replicationFactor,
        config: topicConfig,
      },
      compatibility: Compatibility.FULL_TRANSITIVE,
    },
  ];
}

/**
 * Every topic the system needs: the event topics, and per service's group a dead-letter
 * topic with its handled topic (which letters were re-published or discarded).
 */
export function topicCatalog(config: Config): TopicSpec[] {
  const minInsync = { 'min.insync.replicas': String(config.topics.minInsyncReplicas) };
  const dlqs = Object.values(consumerGroups(config)).flatMap((group) => [
    {
      name: deadLetterTopic(group),
      partitions: 1,
      replicationFactor: config.topics.replicationFactor,
      // Kafka's default 7 days would let a dead letter expire before anyone acted on it.
      config: { ...minInsync, 'retention.ms': String(config.topics.deadLetterRetentionMs) },
    },
    {
      name: handledTopicOf(deadLetterTopic(group)),
      partitions: 1,
      replicationFactor: config.topics.replicationFactor,
      // Keyed by the letter's position: compaction keeps the latest word on each letter, for ever.
      config: { ...minInsync, 'cleanup.policy': 'compact' },
    },
  ]);
  return [...eventCatalog(config).map((contract) => contract.topic), ...dlqs];
}
