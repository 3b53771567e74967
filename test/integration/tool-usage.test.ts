// The operations tools' command line as a user meets it: --help answers on stdout and
// succeeds, a call the tool cannot take fails with 2 and the usage on stderr, and neither
// waits for Kafka, the registry or the database.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDist } from '../support/processes.js';

const root = new URL('../../', import.meta.url).pathname;
const TOOLS = ['dlq', 'replay', 'register-schemas', 'topic'] as const;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(tool: string, ...args: string[]): Promise<Outcome> {
  // A config the tools would refuse: a call that got as far as reading it would say so instead.
  const env = { ...process.env, LOG_LEVEL: 'not-a-level' };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [`dist/cli/${tool}.js`, ...args], { cwd: root, env, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the operations tools', () => {
  beforeAll(buildDist, 120_000);

  it.each(TOOLS)('%s --help prints its usage on stdout and exits 0', async (tool) => {
    for (const flag of ['--help', '-h']) {
      const outcome = await run(tool, flag);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(new RegExp(`^usage: ${tool}`));
      expect(outcome.stderr).toBe('');
    }
  });

  it.each(TOOLS)('%s refuses an argument it does not take before reading its config: exit 2, the usage on stderr', async (tool) => {
    const outcome = await run(tool, 'no-such-argument');
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(new RegExp(`^usage: ${tool}`));
  });
});
