// Every consumer service, each defined once: its name, what it consumes and how, its health
// and metrics port, and its wiring. Start-up, the replay and dead-letter tools, the
// dead-letter topics, the dashboard's lag table and scripts/up (through cli/services.ts)
// all derive from this list: a new service is a folder with its wiring plus one entry here.
import type { Config } from '../config.js';
import type { Migrations } from '../db/migrations.js';
import { USER_REGISTERED_FOR_ONBOARDING } from '../events/user-registered-for-onboarding.js';
import { USER_SIGNED_UP } from '../events/user-signed-up.js';
import type { LagSource } from './analytics/dashboard/data.js';
import type { ServiceWiring } from './wiring.js';

export interface ServiceDefinition {
  readonly name: string;
  readonly input: {
    /** The contract on the topic (a directory under schemas/). */
    readonly event: string;
    readonly topic: (topics: Config['topics']) => string;
  };
  readonly isolation: 'read_committed' | 'read_uncommitted';
  /** Its health and metrics port unless SERVICE_HTTP_PORT says otherwise. */
  readonly httpPort: number;
  /** Imported when the service starts: listing the catalog loads none of the services' dependencies. */
  readonly wire: ServiceWiring;
  /** The tables the service owns, if any: their SQL migrations (cli/migrate.ts runs them all). */
  readonly migrations?: (config: Config) => Promise<Migrations>;
}

export const SERVICE_CATALOG = [
  {
    name: 'email',
    input: { event: USER_SIGNED_UP, topic: (topics) => topics.signups.name },
    isolation: 'read_uncommitted',
    httpPort: 9101,
    wire: async (context) => (await import('./email/wiring.js')).wireEmail(context),
    migrations: async () => (await import('./email/ledger.js')).emailMigrations,
  },
  {
    name: 'analytics',
    input: { event: USER_SIGNED_UP, topic: (topics) => topics.signups.name },
    isolation: 'read_uncommitted',
    httpPort: 9102,
    wire: async (context) => (await import('./analytics/wiring.js')).wireAnalytics(context),
    migrations: async (config) => (await import('./analytics/store.js')).analyticsMigrations(config.analytics.dbSchema),
  },
  {
    name: 'onboarding',
    input: { event: USER_SIGNED_UP, topic: (topics) => topics.signups.name },
    // The committed-offset fetch then waits for a previous owner's pending transactional
    // offsets (KIP-447): a new owner starts after the old owner's outcome, never at an
    // offset the old owner is still committing past.
    isolation: 'read_committed',
    httpPort: 9103,
    wire: async (context) => (await import('./onboarding/wiring.js')).wireOnboarding(context),
  },
  {
    name: 'onboarding-tracker',
    input: { event: USER_REGISTERED_FOR_ONBOARDING, topic: (topics) => topics.onboarding.name },
    // Only enrolments whose transaction committed.
    isolation: 'read_committed',
    httpPort: 9104,
    wire: async (context) => (await import('./onboarding/tracker-wiring.js')).wireOnboardingTracker(context),
    migrations: async () => (await import('./onboarding/tracker-store.js')).onboardingTrackerMigrations,
  },
] as const satisfies readonly ServiceDefinition[];

export type ServiceName = (typeof SERVICE_CATALOG)[number]['name'];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICE_CATALOG.map((service) => service.name);

export function isServiceName(name: string | undefined): name is ServiceName {
  return SERVICE_NAMES.includes(name as ServiceName);
}

export function serviceDefinition(name: ServiceName): ServiceDefinition {
  return SERVICE_CATALOG.find((service) => service.name === name)!;
}

/** The consumer group of each service: a separate processing path each. */
export function consumerGroups(config: Config): Record<ServiceName, string> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, `${config.consumers.groupPrefix}${name}`])) as Record<ServiceName, string>;
}

/** The service's Kafka client id: group member listings then say which service is live. */
export function serviceClientId(config: Config, name: ServiceName): string {
  return `${config.kafka.clientId}-${name}`;
}

/** What the analytics dashboard shows the lag of: every service. */
export function lagSources(config: Config): LagSource[] {
  const groups = consumerGroups(config);
  return SERVICE_CATALOG.map((service) => ({
    service: service.name,
    groupId: groups[service.name],
    topic: service.input.topic(config.topics),
  }));
}
