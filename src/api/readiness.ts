// The API's readiness checks: can this instance accept signups right now? Each check is
// bounded in time, so a dead dependency makes readiness fail quickly instead of hanging the probe.
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Check } from '../observability/health.js';
import type { SchemaRegistryClient } from '../registry/client.js';

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

/**
 * The registry answers, asked through the app's own registry client (so with its
 * credentials). Publishing needs the registry only until the writer schema id is known;
 * after that an outage is reported but does not make the instance unready: every instance
 * would fail together and a load balancer would take them all out while each still works.
 */
export function registryCheck(client: SchemaRegistryClient, writerSchemaId: () => number | undefined): Check {
  return async () => {
    try {
      await client.getDefaultCompatibility();
      return { ok: true };
    } catch (error) {
      const id = writerSchemaId();
      const reason = (error as Error).message;
      return id === undefined
        ? { ok: false, detail: reason }
        : { ok: false, required: false, detail: `${reason}; not needed while the writer schema id ${id} is known` };
    }
  };
}
