// The API when a dependency goes away for real: the broker is stopped (503 within the
// delivery timeout, then recovery on its own) and the registry is stopped after start-up
// (signups continue on the known schema id, and the instance stays ready). Each test restores the stack it broke.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedConfig, stack, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { readAtLeast } from '../support/topics.js';
import { sleep } from '../support/sleep.js';

const PRODUCE_TIMEOUT_MS = 2000;
let api: ApiUnderTest;

const signup = (n: number) =>
  api.app.inject({
    method: 'POST',
    url: '/signup',
    headers: { 'content-type': 'application/json' },
    payload: { email: `outage${n}@example.com`, username: `outage${n}` },
  });

beforeAll(async () => {
  api = await startApiUnderTest(await isolatedConfig({ PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS) }));
});

afterAll(async () => {
  await stack('start', 'kafka');
  await stack('start', 'registry');
  await api?.stop();
});

describe('broker down', () => {
  it('answers 503 with Retry-After within the delivery timeout, reports kafka not ready, and recovers when the broker returns', async () => {
    const first = await signup(0);
    expect(first.statusCode).toBe(201);

    await stack('stop', 'kafka');
    try {
      const started = Date.now();
      const responses = await Promise.all([1, 2, 3].map((n) => signup(n)));
      const elapsed = Date.now() - started;
      for (const response of responses) {
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.json()).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('kafka') });
      }
      // Bounded: the delivery timeout plus up to the 1 s reconnect back-off, never a hang.
      expect(elapsed).toBeGreaterThanOrEqual(PRODUCE_TIMEOUT_MS - 100);
      expect(elapsed).toBeLessThan(PRODUCE_TIMEOUT_MS + 2000);

      const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ ready: false, checks: { kafka: { ok: false } } });
    } finally {
      await stack('start', 'kafka');
    }

    // The same process recovers by itself: no restart, no reconnect call.
    const deadline = Date.now() + 60_000;
    let status = 0;
    let n = 10;
    let last: Awaited<ReturnType<typeof signup>> | undefined;
    while (Date.now() < deadline) {
      last = await signup(n++);
      status = last.statusCode;
      if (status === 201) break;
      expect(status).toBe(503);
      await sleep(500);
    }
    expect(status).toBe(201);
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    // Nothing acknowledged was lost: both 201s (0 and the last one) are on the topic. A 503'd
    // signup may be there too: the API stopped waiting for it, the producer did not.
    const records = await readAtLeast(api.config.kafka, api.config.topics.signups.name, 2);
    const userId = (response: typeof first) => response.json<{ userId: string }>().userId;
    expect(records.map((r) => r.key)).toEqual(expect.arrayContaining([userId(first), userId(last!)]));
  });
});

describe('registry down after start-up', () => {
  it('keeps accepting signups on the known schema id and stays ready, reporting the registry down as not required', async () => {
    await stack('stop', 'registry');
    try {
      const responses = await Promise.all([20, 21, 22].map((n) => signup(n)));
      expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201]);
      // Every instance loses the registry at once: were they unready, a load balancer would
      // take them all out while each one still publishes.
      const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toMatchObject({
        ready: true,
        checks: { registry: { ok: false, required: false, detail: expect.stringContaining('writer schema id') }, writerSchema: { ok: true }, kafka: { ok: true } },
      });
      expect(ready.statusCode).toBe(200);
    } finally {
      await stack('start', 'registry');
    }
  });
});
