// The group protocols the membership benchmarks compare, as a deployment gets them.
import type { ConsumerGroupProtocol } from '../../src/config.js';

export interface GroupProtocolVariant {
  readonly label: string;
  readonly group: ConsumerGroupProtocol;
  /** The group's own configuration, set before its members start (scripts/kafka configs). */
  readonly groupConfig?: Readonly<Record<string, number>>;
}

/**
 * Classic with the client's defaults, the consumer protocol with the broker's (its
 * assignments travel on heartbeats, every 5 s), and the consumer protocol with the group's
 * heartbeat interval set to 1 s by an operator (allowed here by the local brokers'
 * group.consumer.min.heartbeat.interval.ms=1000; a broker's default minimum is 5 s).
 */
export const GROUP_PROTOCOL_VARIANTS: readonly GroupProtocolVariant[] = [
  { label: 'classic', group: { protocol: 'classic', sessionTimeoutMs: 30_000 } },
  { label: 'consumer', group: { protocol: 'consumer' } },
  { label: 'consumer, group heartbeat 1 s', group: { protocol: 'consumer' }, groupConfig: { 'consumer.heartbeat.interval.ms': 1000 } },
];
