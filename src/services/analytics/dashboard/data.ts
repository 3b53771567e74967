// What the live dashboard shows, gathered in one call: signups per minute, totals, top
// email domains, the onboarding funnel, and each service's consumer lag.
// Through the KafkaJS namespace: Node's ESM loader cannot see the package's other named exports.
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { AnalyticsStore } from '../store.js';

export interface DashboardData {
  readonly generatedAt: string;
  readonly total: number;
  readonly perMinute: ReadonlyArray<{ minute: string; signups: number }>;
  readonly topDomains: ReadonlyArray<{ domain: string; signups: number }>;
  readonly funnel: { readonly signedUp: number; readonly onboardingStarted: number };
  readonly lag: ReadonlyArray<{ service: string; lag: number | null }>;
}

export interface LagSource {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
}

export async function dashboardData(store: AnalyticsStore, admin: KafkaJS.Admin, lagSources: readonly LagSource[]): Promise<DashboardData> {
  const [counts, perMinute, onboardingStarted, lag] = await Promise.all([
    store.counts(),
    store.signupsPerMinute(60),
    store.onboardingStarted(),
    Promise.all(lagSources.map(async (source) => ({ service: source.service, lag: await groupLag(admin, source).catch(() => null) }))),
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

/** Records between a group's committed position and the end of each partition, summed. */
async function groupLag(admin: KafkaJS.Admin, { groupId, topic }: LagSource): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic, { timeout: 2000, isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED }),
    admin.fetchOffsets({ groupId, topics: [topic], timeout: 2000 }),
  ]);
  const positions = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, end) => {
    const position = positions.get(end.partition) ?? -1;
    return sum + Number(end.high) - (position < 0 ? Number(end.low) : position);
  }, 0);
}
