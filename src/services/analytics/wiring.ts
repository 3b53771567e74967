// The analytics service on the shared clients: its counts in PostgreSQL, and the live
// dashboard on the service's HTTP listener.
import { createPool } from '../../db/pool.js';
import { loadSchemaHistory } from '../../events/schema-history.js';
import { USER_REGISTERED_FOR_ONBOARDING } from '../../events/user-registered-for-onboarding.js';
import { lagSources } from '../catalog.js';
import type { ServiceWiring } from '../wiring.js';
import { dashboardData, dashboardRoutes } from './dashboard/routes.js';
import { enrolmentTopic, onboardingStartedProjection } from './onboarding-started.js';
import { analyticsService } from './service.js';
import { AnalyticsStore } from './store.js';

// Partition batches in flight at once in one process, tuned with scripts/bench.
export const ANALYTICS_PARTITIONS_CONCURRENTLY = 3;

export const wireAnalytics: ServiceWiring = async ({ config, logger, admin, groupId, topic, readerSchema, deadLetters, onStop }) => {
  const pool = createPool(config.database.url);
  onStop(() => pool.end());
  const store = new AnalyticsStore(pool, config.analytics.dbSchema);
  await store.init(logger);
  const sources = lagSources(config);
  return {
    service: analyticsService({ groupId, topic, readerSchema, store }),
    // While one partition's batch is in the database, the next one is decoded.
    runtime: { partitionsConsumedConcurrently: ANALYTICS_PARTITIONS_CONCURRENTLY },
    // The funnel's "onboarding started", from the enrolment topic into analytics' own table.
    companions: [
      onboardingStartedProjection({
        groupId,
        topic: enrolmentTopic(config.topics),
        readerSchema: loadSchemaHistory(USER_REGISTERED_FOR_ONBOARDING).latest.schema,
        store,
      }),
    ],
    httpRoutes: async (app) => {
      await app.register(dashboardRoutes, { data: () => dashboardData(store, admin, config.kafka, sources, deadLetters) });
    },
  };
};
