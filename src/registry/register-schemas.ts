// Brings the registry and the topics in line with the repository: every schema version in
// schemas/ registered under its subject, in order, each subject at its compatibility level,
// every topic present. Idempotent: a second run changes nothing. Incompatible schemas fail
// with the subject, the level and what broke.
import { randomUUID } from 'node:crypto';
import { RestError, type Compatibility } from './library.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { EventContract, TopicSpec } from '../events/catalog.js';
import { loadSchemaHistory, SCHEMAS_DIR, type SchemaVersion } from '../events/schema-history.js';
import { valueSubject } from '../events/subjects.js';
import { explainIncompatibility } from './compatibility.js';
import type { SchemaRegistryClient } from './client.js';

export class IncompatibleSchemaError extends Error {
  override readonly name = 'IncompatibleSchemaError';
  constructor(
    readonly subject: string,
    readonly level: Compatibility,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file} is incompatible with subject ${subject} under ${level}: ${reason}`);
  }
}

export interface RegistrationOptions {
  readonly registry: SchemaRegistryClient;
  readonly admin: KafkaJS.Admin;
  readonly catalog: readonly EventContract[];
  /** Topics to create when missing; the contracts' topics when not given. */
  readonly topics?: readonly TopicSpec[];
  /** Only check and report; change nothing. */
  readonly dryRun?: boolean;
  readonly schemasDir?: string;
}

/** One line of the report per action taken (or, in a dry run, that would be taken). */
export type RegistrationReport = string[];

export async function registerSchemas(options: RegistrationOptions): Promise<RegistrationReport> {
  const report: RegistrationReport = [];
  const verb = (done: string, planned: string) => (options.dryRun ? planned : done);
  for (const contract of options.catalog) {
    const subject = valueSubject(contract.topic.name);
    const history = loadSchemaHistory(contract.event, options.schemasDir ?? SCHEMAS_DIR);
    report.push(`${contract.event} → subject ${subject} (${contract.compatibility})`);

    // The whole history must satisfy the level before anything is written.
    history.versions.forEach((version, index) => {
      const reason = explainIncompatibility(contract.compatibility, named(version), history.versions.slice(0, index).map(named));
      if (reason) throw new IncompatibleSchemaError(subject, contract.compatibility, version.file, reason);
    });

    const current = await subjectCompatibility(options.registry, subject);
    if (current !== contract.compatibility) {
      if (!options.dryRun) await options.registry.updateCompatibility(subject, contract.compatibility);
      report.push(`  compatibility ${current ?? 'unset'} → ${contract.compatibility}: ${verb('set', 'would set')}`);
    }

    for (const version of history.versions) {
      const id = await registeredId(options.registry, subject, version);
      if (id !== undefined) {
        report.push(`  v${version.version} already registered (id ${id})`);
        continue;
      }
      if (options.dryRun) {
        const compatible = (await subjectExists(options.registry, subject))
          ? await options.registry.testSubjectCompatibility(subject, avro(version))
          : true;
        if (!compatible) {
          throw new IncompatibleSchemaError(subject, contract.compatibility, version.file, 'the registry reports it incompatible with the registered versions');
        }
        report.push(`  v${version.version} would be registered`);
        continue;
      }
      try {
        const newId = await options.registry.register(subject, avro(version));
        report.push(`  v${version.version} registered (id ${newId})`);
      } catch (error) {
        if (error instanceof RestError && error.status === 409) {
          throw new IncompatibleSchemaError(subject, contract.compatibility, version.file, `the registry refused it against the versions it holds: ${error.message}`);
        }
        throw error;
      }
    }
  }
  const topics = options.topics ?? options.catalog.map((c) => c.topic);
  report.push(...(await ensureTopics(options.admin, topics, options.dryRun ?? false)));
  return report;
}

/**
 * Proves, against the real registry, that a contract's history is acceptable under its
 * level: registers every version in order under a scratch subject, then deletes it.
 */
export async function checkSchemaHistory(
  registry: SchemaRegistryClient,
  contract: EventContract,
  schemasDir: string = SCHEMAS_DIR,
): Promise<void> {
  const history = loadSchemaHistory(contract.event, schemasDir);
  const subject = `${valueSubject(contract.topic.name)}-compatibility-check-${randomUUID()}`;
  try {
    await registry.updateCompatibility(subject, contract.compatibility);
    for (const [index, version] of history.versions.entries()) {
      if (index > 0 && !(await registry.testSubjectCompatibility(subject, avro(version)))) {
        const reason =
          explainIncompatibility(contract.compatibility, named(version), history.versions.slice(0, index).map(named)) ??
          'the registry reports it incompatible with the earlier versions';
        throw new IncompatibleSchemaError(valueSubject(contract.topic.name), contract.compatibility, version.file, reason);
      }
      await registry.register(subject, avro(version));
    }
  } finally {
    await registry.deleteSubject(subject, false).catch(() => undefined);
    await registry.deleteSubject(subject, true).catch(() => undefined);
  }
}

async function ensureTopics(admin: KafkaJS.Admin, topics: readonly TopicSpec[], dryRun: boolean): Promise<string[]> {
  const existing = new Set(await admin.listTopics({ timeout: 10_000 }));
  const lines: string[] = [];
  for (const topic of topics) {
    const shape = `${topic.partitions} partitions, replication factor ${topic.replicationFactor}, ${Object.entries(topic.config)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`;
    if (existing.has(topic.name)) {
      const [metadata] = await admin.fetchTopicMetadata({ topics: [topic.name], timeout: 10_000 });
      const partitions = metadata?.partitions.length ?? 0;
      // Partitions are never changed here: adding some would move keys to other partitions
      // and break per-user ordering. That is an operator's decision.
      const note = partitions === topic.partitions ? '' : ` (configured ${topic.partitions}; left unchanged)`;
      lines.push(`topic ${topic.name} exists with ${partitions} partitions${note}`);
      continue;
    }
    if (!dryRun) {
      await admin.createTopics({
        topics: [
          {
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor: topic.replicationFactor,
            configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
          },
        ],
        timeout: 30_000,
      });
    }
    lines.push(`topic ${topic.name}: ${dryRun ? 'would be created' : 'created'} (${shape})`);
  }
  return lines;
}

async function subjectCompatibility(registry: SchemaRegistryClient, subject: string): Promise<Compatibility | undefined> {
  if (!(await subjectExists(registry, subject))) {
    // Apicurio answers a never-configured subject with the global level and Confluent with
    // an error; for a subject with no versions the level is set either way.
    return undefined;
  }
  try {
    return await registry.getCompatibility(subject);
  } catch (error) {
    if (error instanceof RestError && error.status === 404) return undefined;
    throw error;
  }
}

async function subjectExists(registry: SchemaRegistryClient, subject: string): Promise<boolean> {
  try {
    return (await registry.getAllVersions(subject)).length > 0;
  } catch (error) {
    if (error instanceof RestError && error.status === 404) return false;
    throw error;
  }
}

async function registeredId(registry: SchemaRegistryClient, subject: string, version: SchemaVersion): Promise<number | undefined> {
  try {
    return await registry.getId(subject, avro(version));
  } catch (error) {
    if (error instanceof RestError && error.status === 404) return undefined;
    throw error;
  }
}

const avro = (version: SchemaVersion) => ({ schemaType: 'AVRO', schema: version.schema });
const named = (version: SchemaVersion) => ({ label: `v${version.version}`, schema: version.schema });
