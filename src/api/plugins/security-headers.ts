// helmet's security headers on every response (HSTS, nosniff, frame options, …), set the
// way Fastify sets its own. With the Content-Security-Policy left to the routes that serve
// pages (/docs), helmet's headers depend on its options only, so they are computed once.
// Applied per request as helmet does it, through Node's res.setHeader, they cost about
// 20 µs a request: once a header is on the raw response, Node takes its slow path for
// every header Fastify writes after it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** The headers helmet sets with these options, as lower-case name → value. */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
    finished = true;
  });
  if (failure) throw new Error('helmet refused its options', { cause: failure });
  // A helmet that finished later (asynchronously) could not be computed once: refuse to
  // start rather than send responses without its headers.
  if (!finished) throw new Error('helmet did not finish synchronously; its headers cannot be computed once');
  return headers;
}

/** helmet's headers, without a Content-Security-Policy: /docs sends its own, and the rest answers JSON. */
export const securityHeaders = fp(
  (app, _options, done) => {
    const headers = helmetHeaders({ contentSecurityPolicy: false });
    app.addHook('onRequest', (_request, reply, next) => {
      void reply.headers(headers);
      next();
    });
    done();
  },
  { name: 'security-headers' },
);
