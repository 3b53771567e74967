// The onboarding tracker on the shared clients: each user's onboarding state in PostgreSQL.
import { createPool } from '../../db/pool.js';
import type { ServiceWiring } from '../wiring.js';
import { onboardingTracker } from './tracker.js';
import { OnboardingStateStore } from './tracker-store.js';

export const wireOnboardingTracker: ServiceWiring = async ({ config, logger, groupId, topic, readerSchema, onStop }) => {
  const pool = createPool(config.database.url);
  onStop(() => pool.end());
  const store = new OnboardingStateStore(pool);
  await store.init(logger);
  return { service: onboardingTracker({ groupId, topic, readerSchema, store }) };
};
