// The shutdown bound holds even when the stop never ends: a stop awaiting for ever is cut
// by close-with-grace (exit 1), and one whose main thread is blocked (as in a native call
// that does not return) by the watchdog thread (SIGKILL), each with a line saying so.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDist, root } from '../support/processes.js';

const BOUND_MS = 1000;

async function stopEndlessly(mode: 'blocked' | 'waiting'): Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number; output: string }> {
  const child = spawn(process.execPath, ['test/fixtures/processes/endless-shutdown.mjs', mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 10_000;
  while (!output.includes('"msg":"ready"')) {
    if (Date.now() > deadline) throw new Error(`the fixture did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const sentAt = Date.now();
  child.kill('SIGTERM');
  const { code, signal } = await exited;
  return { code, signal, elapsedMs: Date.now() - sentAt, output };
}

describe('the shutdown bound', () => {
  beforeAll(buildDist, 120_000);

  it('a stop that waits for ever: close-with-grace exits 1 at the bound', async () => {
    const { code, signal, elapsedMs, output } = await stopEndlessly('waiting');
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    expect(elapsedMs).toBeGreaterThanOrEqual(BOUND_MS - 50);
    expect(elapsedMs).toBeLessThan(BOUND_MS + 1500);
    expect(output).not.toContain('killing the process');
  });

  it('a stop that blocks the main thread: the watchdog thread kills the process shortly after the bound, and says why', async () => {
    const { code, signal, elapsedMs, output } = await stopEndlessly('blocked');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(elapsedMs).toBeGreaterThanOrEqual(BOUND_MS + 2000 - 50);
    expect(elapsedMs).toBeLessThan(BOUND_MS + 2000 + 1500);
    expect(output).toMatch(/"name":"endless-shutdown","msg":"shutdown overran its bound with the main thread blocked; killing the process","boundMs":1000/);
  });
});
