// Prometheus metrics (prom-client): one registry per process, labelled with the service,
// plus what librdkafka reports about itself (queue depth, broker round trips, consumer lag).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Registry };

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** How often librdkafka reports its statistics (statistics.interval.ms). */
export const KAFKA_STATS_INTERVAL_MS = 5000;

interface LibrdkafkaStats {
  name?: string;
  msg_cnt?: number;
  brokers?: Record<string, { nodeid?: number; state?: string; rtt?: { avg?: number; p99?: number } }>;
  topics?: Record<string, { partitions?: Record<string, { consumer_lag?: number }> }>;
}

/**
 * A `stats_cb` for a producer or consumer config that turns librdkafka's JSON statistics
 * into gauges: queued messages, broker round-trip time, and consumer lag per partition.
 */
export function librdkafkaStatsCallback(registry: Registry, client: string): (event: { message: string }) => void {
  const queue = gauge(registry, 'kafka_client_queued_messages', 'Messages in librdkafka queues, waiting to be sent or handled', ['client']);
  const rtt = gauge(registry, 'kafka_broker_rtt_seconds', 'Average broker round-trip time over the last statistics interval', ['client', 'broker']);
  const lag = gauge(registry, 'kafka_consumer_lag', 'Records between the consumer position and the partition end', ['client', 'topic', 'partition']);
  return (event) => {
    let stats: LibrdkafkaStats;
    try {
      stats = JSON.parse(event.message) as LibrdkafkaStats;
    } catch {
      return;
    }
    queue.set({ client }, stats.msg_cnt ?? 0);
    for (const [name, broker] of Object.entries(stats.brokers ?? {})) {
      if ((broker.nodeid ?? -1) < 0 || broker.state !== 'UP') continue; // bootstrap and down brokers
      rtt.set({ client, broker: name }, (broker.rtt?.avg ?? 0) / 1e6);
    }
    for (const [topic, t] of Object.entries(stats.topics ?? {})) {
      for (const [partition, p] of Object.entries(t.partitions ?? {})) {
        if (partition === '-1' || p.consumer_lag === undefined || p.consumer_lag < 0) continue;
        lag.set({ client, topic, partition }, p.consumer_lag);
      }
    }
  };
}

/** The per-service consumer metrics the runtime records. */
export function consumerMetrics(registry: Registry) {
  return {
    handled: counter(registry, 'consumer_records_handled_total', 'Records whose handler succeeded', ['group', 'topic']),
    retried: counter(registry, 'consumer_records_retried_total', 'Failed attempts that will be retried', ['group', 'topic']),
    deadLettered: counter(registry, 'consumer_records_dead_lettered_total', 'Records sent to the dead-letter topic', ['group', 'topic']),
    skippedReplays: counter(registry, 'consumer_replays_for_other_groups_total', 'Re-published dead letters skipped: they name another group', ['group', 'topic', 'for_group']),
    handlerSeconds: histogram(registry, 'consumer_handler_duration_seconds', 'Time to decode and handle one record', ['group', 'topic']),
  };
}
export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;

/**
 * Dead letters still waiting in a group's dead-letter topic (not marked handled by
 * `dlq republish` or `dlq discard`), counted at scrape time: a gauge to alert on (> 0),
 * so nobody has to look. An unreadable topic leaves the last value.
 */
export function deadLetterGauge(registry: Registry, group: string, count: () => Promise<number>): void {
  if (registry.getSingleMetric('dead_letters')) return;
  new Gauge({
    name: 'dead_letters',
    help: "Dead letters in the group's dead-letter topic still waiting to be acted on: those not marked handled (republished or discarded) in its <group>.dlq.handled topic",
    labelNames: ['group'],
    registers: [registry],
    async collect() {
      try {
        this.set({ group }, await count());
      } catch {
        // keeps the last value; the dashboard shows n/a
      }
    },
  });
}

/**
 * Seconds since each consumer of the group last made progress (a handler call returned, or
 * a deliberate wait went round): the slowest of them. Climbing while lag grows means stalled.
 */
export function progressGauge(registry: Registry, group: string, consumers: ReadonlyArray<{ sinceLastProgressMs(): number }>): void {
  new Gauge({
    name: 'consumer_last_progress_age_seconds',
    help: 'Seconds since the consumer last handled a record (or waited on purpose: back-off, a dependency); with lag growing, it is stalled',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.set({ group }, Math.max(...consumers.map((c) => c.sinceLastProgressMs())) / 1000);
    },
  });
}

/** The API's metrics. */
export function apiMetrics(registry: Registry) {
  return {
    httpSeconds: histogram(registry, 'http_request_duration_seconds', 'HTTP request latency', ['method', 'route', 'status_code']),
    produceSeconds: histogram(registry, 'kafka_produce_duration_seconds', 'Time from send to broker acknowledgement', ['topic']),
    produceErrors: counter(registry, 'kafka_produce_errors_total', 'Sends that Kafka did not acknowledge', ['topic']),
  };
}
export type ApiMetrics = ReturnType<typeof apiMetrics>;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge<L>({ name, help, labelNames, registers: [registry] });
}
