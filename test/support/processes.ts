// Runs the compiled entry points as real child processes, configured for a test's config.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { APP_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { environmentOf, type Config } from '../../src/config.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles src/ so that the processes under test run the code under test. */
export async function buildDist(): Promise<void> {
  // The whole build: tsc, and the services' SQL migrations copied next to their code.
  await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: root, timeout: 120_000 });
}

/** The environment of a child process that loads `config`; it logs at info (tests read its log) and picks a free health port. */
export function envFor(config: Config): NodeJS.ProcessEnv {
  return { ...process.env, ...environmentOf(config), LOG_LEVEL: 'info', SERVICE_HTTP_PORT: '0' };
}

export interface ChildUnderTest {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnConsumer(name: string, config: Config): ChildUnderTest {
  const child = spawn(process.execPath, [...APP_NODE_FLAGS, 'dist/cli/consumer.js', name], { cwd: root, env: envFor(config), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
