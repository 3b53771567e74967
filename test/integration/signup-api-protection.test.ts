// Rate limiting of POST /signup per client address, security headers and the CORS stance,
// against the real app and broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';

let config: Config;
let api: ApiUnderTest;

beforeAll(async () => {
  config = await isolatedConfig({ API_RATE_LIMIT_MAX: '5', API_RATE_LIMIT_WINDOW_MS: '60000' });
  api = await startApiUnderTest(config);
});

afterAll(async () => {
  await api?.stop();
});

const signup = (i: number, remoteAddress: string) =>
  api.app.inject({
    method: 'POST',
    url: '/signup',
    remoteAddress,
    headers: { 'content-type': 'application/json' },
    payload: { email: `limited${i}-${remoteAddress}@example.com`, username: `limited_${i}` },
  });

describe('POST /signup protection', () => {
  it('answers 429 with Retry-After once one address exceeds its limit; other addresses are not affected', async () => {
    for (let i = 0; i < 5; i++) expect((await signup(i, '203.0.113.7')).statusCode).toBe(201);
    const limited = await signup(5, '203.0.113.7');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect((await signup(6, '198.51.100.9')).statusCode).toBe(201);
    // Health and metrics are never limited.
    for (let i = 0; i < 10; i++) expect((await api.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
  });

  it('behind a trusted proxy each client named in X-Forwarded-For has its own bucket; a client cannot name itself', async () => {
    const proxied = await startApiUnderTest(await isolatedConfig({ API_RATE_LIMIT_MAX: '2', API_RATE_LIMIT_WINDOW_MS: '60000', API_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1' }));
    try {
      const via = (i: number, remoteAddress: string, forwardedFor: string) =>
        proxied.app.inject({
          method: 'POST',
          url: '/signup',
          remoteAddress,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          payload: { email: `proxied${i}@example.com`, username: `proxied_${i}` },
        });
      // Two clients through the same proxy: two buckets of 2.
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        expect((await via(1, '10.1.2.3', client)).statusCode).toBe(201);
        expect((await via(2, '10.1.2.3', client)).statusCode).toBe(201);
        expect((await via(3, '10.1.2.3', client)).statusCode).toBe(429);
      }
      // A chain of trusted proxies: the first address from the right that is not a proxy is the client.
      expect((await via(4, '192.0.2.1', '198.51.100.5, 10.9.9.9')).statusCode).toBe(201);
      expect((await via(5, '10.1.2.3', '198.51.100.5')).statusCode).toBe(201);
      expect((await via(6, '10.1.2.3', '198.51.100.5')).statusCode).toBe(429);
      // Not from a trusted proxy: X-Forwarded-For is ignored, so rotating it buys nothing.
      expect((await via(7, '198.51.100.77', '203.0.113.50')).statusCode).toBe(201);
      expect((await via(8, '198.51.100.77', '203.0.113.51')).statusCode).toBe(201);
      expect((await via(9, '198.51.100.77', '203.0.113.52')).statusCode).toBe(429);
    } finally {
      await proxied.stop();
    }
  });

  it('sends security headers and no CORS headers, so browsers refuse cross-origin calls', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await api.app.inject({ method: 'OPTIONS', url: '/signup', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const docs = await api.app.inject({ method: 'GET', url: '/docs/static/index.html' });
    expect(docs.headers['content-security-policy']).toBeDefined();
  });
});
