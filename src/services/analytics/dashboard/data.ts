// What the live dashboard shows, gathered in one call: signups per minute, totals, top
// email domains, the onboarding funnel, and each service's consumer lag.
// Through the KafkaJS namespace: Node's ESM loader cannot see the package's other named exports.
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../../config.js';
import { groupLag } from '../../../kafka/group-lag.js';
import { deadLetterTopic } from '../../../kafka/consumer/dead-letter.js';
import type { DeadLetterDepth } from '../../../operations/dead-letters.js';
import type { AnalyticsStore } from '../store.js';

export interface DashboardData {
  readonly generatedAt: string;
  readonly total: number;
  readonly perMinute: ReadonlyArray<{ minute: string; signups: number }>;
  readonly topDomains: ReadonlyArray<{ domain: string; signups: number }>;
  readonly funnel: { readonly signedUp: number; readonly onboardingStarted: number };
  readonly lag: ReadonlyArray<{ service: string; lag: number | null; deadLetters: number | null }>;
}

export interface LagSource {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
}

export async function dashboardData(
  store: AnalyticsStore,
  admin: KafkaJS.Admin,
  kafka: Config['kafka'],
  lagSources: readonly LagSource[],
  deadLetters: DeadLetterDepth,
): Promise<DashboardData> {
  const [counts, perMinute, onboardingStarted, lag] = await Promise.all([
    store.counts(),
    store.signupsPerMinute(60),
    store.onboardingStarted(),
    Promise.all(
      lagSources.map(async (source) => ({
        service: source.service,
        lag: await lagOf(admin, kafka, source).catch(() => null),
        deadLetters: await deadLetters.of(deadLetterTopic(source.groupId)).catch(() => null),
      })),
    ),
  ]);
  const topDomains = Object.entries(counts.byDomain)
    .map(([domain, signups]) => ({ domain, signups }))
    .sort((a, b) => b.signups - a.signups || a.domain.localeCompare(b.domain))
    .slice(0, 10);
  return {
    generatedAt: new Date().toISOString(),
    total: counts.total,
    perMinute,
    topDomains,
    funnel: { signedUp: counts.total, onboardingStarted },
    lag,
  };
}

/** Records the group has still to receive, summed over the partitions. */
async function lagOf(admin: KafkaJS.Admin, kafka: Config['kafka'], { groupId, topic }: LagSource): Promise<number> {
  const partitions = await groupLag(admin, kafka, groupId, topic, { timeoutMs: 2000 });
  return partitions.reduce((sum, p) => sum + Number(p.lag), 0);
}
