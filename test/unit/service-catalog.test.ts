// The service catalog is the one list of consumer services: everything that names services
// must follow it, so that a service added to it (or one forgotten elsewhere) fails here
// rather than quietly (a colliding port, a service missing from the dashboard's lag table).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { topicCatalog } from '../../src/events/catalog.js';
import { deadLetterTopic, groupOfDeadLetterTopic, handledTopicOf } from '../../src/kafka/consumer/dead-letter.js';
import { consumerGroups, lagSources, SERVICE_CATALOG, SERVICE_NAMES, serviceClientId } from '../../src/services/catalog.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const config = loadConfig({});

describe('the service catalog', () => {
  it('gives every service its own name, port, group and Kafka client id', () => {
    const distinct = (values: readonly unknown[]) => new Set(values).size === values.length;
    expect(SERVICE_NAMES.length).toBeGreaterThan(0);
    expect(distinct(SERVICE_NAMES)).toBe(true);
    const ports = SERVICE_CATALOG.map((service) => service.httpPort);
    expect(distinct([...ports, config.api.port])).toBe(true);
    expect(distinct(Object.values(consumerGroups(config)))).toBe(true);
    expect(SERVICE_NAMES.map((name) => serviceClientId(config, name))).toEqual(SERVICE_NAMES.map((name) => `signup-pipeline-${name}`));
  });

  it('reads only topics the system creates', () => {
    const topics = new Set(topicCatalog(config).map((topic) => topic.name));
    for (const service of SERVICE_CATALOG) expect(topics.has(service.input.topic(config.topics)), service.name).toBe(true);
  });

  it('gives every service a dead-letter topic and a row in the dashboard’s lag table', () => {
    const topics = topicCatalog(config).map((topic) => topic.name);
    for (const group of Object.values(consumerGroups(config))) expect(topics).toContain(deadLetterTopic(group));
    expect(lagSources(config).map((source) => source.service)).toEqual(SERVICE_NAMES);
  });

  it('gives every dead-letter topic a compacted handled topic that is not taken for a dead-letter topic', () => {
    const topics = topicCatalog(config);
    for (const group of Object.values(consumerGroups(config))) {
      const dlq = topics.find((topic) => topic.name === deadLetterTopic(group))!;
      const handled = topics.find((topic) => topic.name === `${group}.dlq.handled`);
      expect(handled, group).toBeDefined();
      expect(handled!.config['cleanup.policy']).toBe('compact');
      expect(handled!.replicationFactor).toBe(dlq.replicationFactor);
      expect(handledTopicOf(dlq.name)).toBe(handled!.name);
    }
    const deadLetterTopics = topics.filter((topic) => groupOfDeadLetterTopic(topic.name) !== undefined).map((topic) => topic.name);
    expect(deadLetterTopics.sort()).toEqual(Object.values(consumerGroups(config)).map(deadLetterTopic).sort());
  });
});

describe('scripts/up', () => {
  const script = readFileSync(`${root}scripts/up`, 'utf8');

  it('takes its services and their ports from the catalog, and lists none itself', () => {
    expect(script).toMatch(/node dist\/cli\/services\.js/);
    const code = script.replace(/^\s*#.*$/gm, '');
    for (const { httpPort } of SERVICE_CATALOG) expect(code).not.toContain(String(httpPort));
    // A hard-coded list: a line naming two services or more.
    const names = (line: string) => SERVICE_NAMES.filter((name) => new RegExp(`(^|[^\\w-])${name}([^\\w-]|$)`).test(line));
    expect(code.split('\n').filter((line) => names(line).length > 1)).toEqual([]);
  });

  it('gets one "<name> <port>" line per service from cli/services', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/services.ts'], { cwd: root });
    expect(stdout).toBe(SERVICE_CATALOG.map((service) => `${service.name} ${service.httpPort}\n`).join(''));
  });
});

describe('README', () => {
  it('shows the catalog in its layout section', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const layout = /^## Layout\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    expect(layout).toMatch(/^\s+catalog\.ts\s/m);
    expect(layout).toMatch(/one folder plus one catalog entry/);
  });
});
