// What /readyz reports: can this process do its job right now? Each check is bounded in
// time, so a dead dependency makes readiness fail quickly instead of hanging the probe.
import type { KafkaJS } from '@confluentinc/kafka-javascript';

export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: string;
}

export type Check = () => Promise<CheckResult>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, CheckResult>;
}

export async function checkReadiness(checks: Record<string, Check>): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      try {
        return [name, await check()];
      } catch (error) {
        return [name, { ok: false, detail: (error as Error).message }];
      }
    }),
  );
  return { ready: entries.every(([, result]) => result.ok), checks: Object.fromEntries(entries) };
}

/** Kafka answers metadata requests and the topic exists. */
export function kafkaTopicCheck(admin: KafkaJS.Admin, topic: string, timeoutMs: number): Check {
  return async () => {
    const [metadata] = await admin.fetchTopicMetadata({ topics: [topic], timeout: timeoutMs });
    const partitions = metadata?.partitions.length ?? 0;
    return partitions > 0
      ? { ok: true, detail: `${topic}: ${partitions} partitions` }
      : { ok: false, detail: `topic ${topic} not found; run scripts/register-schemas` };
  };
}

/** The registry answers its API. */
export function registryCheck(baseUrl: string, timeoutMs: number): Check {
  return async () => {
    const response = await fetch(`${baseUrl}/config`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? { ok: true } : { ok: false, detail: `HTTP ${response.status} from ${baseUrl}/config` };
  };
}
