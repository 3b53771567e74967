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
