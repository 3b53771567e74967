// Every event contract the system publishes: which schema directory, which topic, and the
// compatibility level its subject is governed by. scripts/register-schemas works from this.
import { Compatibility } from '@confluentinc/schemaregistry';
import type { Config } from '../config.js';
import { USER_SIGNED_UP } from './user-signed-up.js';

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
  const topicConfig = { 'min.insync.replicas': String(config.topics.minInsyncReplicas) };
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
  ];
}
