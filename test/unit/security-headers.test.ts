import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetHeaders, securityHeaders } from '../../src/api/plugins/security-headers.js';

/** What helmet sends when it runs on each request, as its own documentation applies it. */
async function headersFromHelmetPerRequest(): Promise<Record<string, string>> {
  const middleware = helmet({ contentSecurityPolicy: false });
  const server: Server = createServer((request, response) => {
    middleware(request, response, () => response.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const ownHeaders = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);
    return Object.fromEntries([...response.headers].filter(([name]) => !ownHeaders.has(name)));
  } finally {
    server.close();
  }
}

describe('security headers', () => {
  let perRequest: Record<string, string>;
  beforeAll(async () => {
    perRequest = await headersFromHelmetPerRequest();
  });

  it('computes the headers helmet sets on a real response', () => {
    expect(Object.keys(perRequest).length).toBeGreaterThan(5);
    expect(helmetHeaders({ contentSecurityPolicy: false })).toEqual(perRequest);
  });

  describe('on every Fastify response, errors included', () => {
    const app = Fastify();
    beforeAll(async () => {
      await app.register(securityHeaders);
      app.get('/ok', async () => ({ ok: true }));
      app.get('/fails', async () => {
        throw new Error('boom');
      });
      await app.ready();
    });
    afterAll(() => app.close());

    it.each(['/ok', '/fails', '/missing'])('%s', async (url) => {
      const response = await app.inject({ method: 'GET', url });
      for (const [name, value] of Object.entries(perRequest)) expect(response.headers[name], name).toBe(value);
      expect(response.headers['content-security-policy']).toBeUndefined();
    });
  });
});
