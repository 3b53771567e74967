// A schema registry that requires credentials, as production ones do. The local registry
// has none, so the test puts it behind an HTTP proxy that demands basic auth, the way a
// registry is often secured: every call the app makes (resolving the writer schema,
// readiness) must carry the configured credentials.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { stackConfig } from '../support/stack-env.js';

const USERNAME = 'signup-api';
const PASSWORD = 'registry-secret';
const expected = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;

let proxy: Server;
let proxyUrl: string;
const refused: string[] = [];
let api: ApiUnderTest | undefined;

beforeAll(async () => {
  const registry = new URL(stackConfig().registry.url);
  proxy = createServer((incoming, outgoing) => {
    if (incoming.headers.authorization !== expected) {
      refused.push(incoming.url ?? '');
      outgoing.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' }).end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    const upstream = request({ host: registry.hostname, port: registry.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: registry.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', (error) => outgoing.writeHead(502).end(error.message));
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${registry.pathname}`;
});

afterAll(async () => {
  await api?.stop();
  await new Promise((resolve) => proxy.close(resolve));
});

describe('a schema registry that requires credentials', () => {
  it('the API resolves its writer schema, answers ready and accepts signups with the configured credentials', async () => {
    api = await startApiUnderTest(await isolatedConfig({ SCHEMA_REGISTRY_URL: proxyUrl, SCHEMA_REGISTRY_USERNAME: USERNAME, SCHEMA_REGISTRY_PASSWORD: PASSWORD }));
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({ ready: true, checks: { registry: { ok: true }, writerSchema: { ok: true } } });
    expect(ready.statusCode).toBe(200);
    const signup = await api.app.inject({ method: 'POST', url: '/signup', payload: { email: 'registry-auth@example.com', username: 'registry_auth' } });
    expect(signup.statusCode).toBe(201);
    expect(refused).toEqual([]);
  });

  it('without credentials the registry refuses it, and readiness says so', async () => {
    const config = await isolatedConfig({ SCHEMA_REGISTRY_URL: proxyUrl, SCHEMA_REGISTRY_USERNAME: USERNAME, SCHEMA_REGISTRY_PASSWORD: PASSWORD });
    const anonymous = await startApi({ ...config, registry: { ...config.registry, basicAuth: undefined } }, createLogger('silent', 'api'));
    try {
      const ready = await anonymous.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      const body = ready.json<{ checks: Record<string, { ok: boolean; detail?: string }> }>();
      expect(body.checks.registry).toMatchObject({ ok: false, detail: expect.stringMatching(/401/) });
      expect(body.checks.writerSchema).toMatchObject({ ok: false });
      expect(refused.length).toBeGreaterThan(0);
    } finally {
      await anonymous.stop();
    }
  });
});
