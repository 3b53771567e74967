// SIGTERM on the real API process: it stops accepting, answers every request already in
// flight, flushes the producer and exits 0 within its bound.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NODE_FLAGS } from '../../src/cli/node-flags.js';
import type { Config } from '../../src/config.js';
import { isolatedConfig } from '../support/api.js';
import { buildDist, envFor, root } from '../support/processes.js';
import { readAtLeast } from '../support/topics.js';
import { sleep } from '../support/sleep.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;
let config: Config;

beforeAll(async () => {
  // The process under test runs the compiled entry point, so compile what is being tested.
  await buildDist();
  config = await isolatedConfig();
});

describe('API process shutdown', () => {
  it('drains in-flight requests on SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...APP_NODE_FLAGS, 'dist/cli/api.js'], {
      cwd: root,
      env: {
        ...envFor(config),
        API_PORT: String(port),
        // Every send waits for the linger, so requests are surely in flight at SIGTERM.
        PRODUCER_LINGER_MS: '400',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const base = `http://127.0.0.1:${port}`;
    await waitUntilReady(`${base}/readyz`, () => output).catch((error: unknown) => {
      child.kill('SIGKILL'); // never outlive the test
      throw error;
    });

    const inFlight = Array.from({ length: 20 }, (_, i) =>
      fetch(`${base}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `drain${i}@example.com`, username: `drain${i}` }),
      }),
    );
    await sleep(100);
    const signalledAt = Date.now();
    child.kill('SIGTERM');

    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const [code, signal] = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

    // Stopped accepting: nothing listens any more.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    const records = await readAtLeast(config.kafka, config.topics.signups.name, 20);
    expect(records).toHaveLength(20);
    expect(output).toContain('shutting down');
    expect(output).not.toMatch(/drain\d+@example\.com/);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitUntilReady(url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`API not ready within 30 s; its output:\n${output()}`);
}
