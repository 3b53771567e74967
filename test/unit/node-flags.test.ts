// The launchers that cannot import APP_NODE_FLAGS write the flags out: each must start the
// API and every consumer service with exactly that list, or a process started one way
// would run with another memory budget than the one measured.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APP_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { SERVICE_NAMES } from '../../src/services/catalog.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const LONG_RUNNING = /^dist\/cli\/(api|consumer)\.js$/;

/** The words of a command line from `node` up to the entry point: node, its flags, then the entry point. */
function flagsBefore(words: readonly string[]): string[] {
  const entry = words.findIndex((word) => LONG_RUNNING.test(word));
  expect(entry, words.join(' ')).toBeGreaterThan(0);
  const node = words.lastIndexOf('node', entry);
  expect(node, words.join(' ')).toBeGreaterThanOrEqual(0);
  return words.slice(node + 1, entry);
}

describe('the Node.js flags of the long-running processes', () => {
  it('are the same in every docker-compose app process', () => {
    const { services } = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { command?: string[] }> };
    const commands = ['api', ...SERVICE_NAMES].map((name) => services[name]!.command!);
    for (const command of commands) expect(flagsBefore(command)).toEqual(APP_NODE_FLAGS);
  });

  it("are the same in the Dockerfile's command", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!;
    expect(flagsBefore(JSON.parse(cmd) as string[])).toEqual(APP_NODE_FLAGS);
  });

  it("are the same in package.json's scripts that start the API and a service", () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const name of ['api', 'consumer']) expect(flagsBefore(scripts[name]!.split(/\s+/)), name).toEqual(APP_NODE_FLAGS);
  });

  it('are the same where scripts/up starts the API and the services', () => {
    const starts = read('scripts/up').split('\n').filter((line) => /dist\/cli\/(api|consumer)\.js/.test(line) && line.includes('start_app'));
    expect(starts).toHaveLength(2);
    for (const line of starts) expect(flagsBefore(line.trim().split(/\s+/)), line).toEqual(APP_NODE_FLAGS);
  });
});
