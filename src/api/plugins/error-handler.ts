// The one error handler. Client mistakes get a 4xx naming what was wrong; an unavailable
// dependency gets 503 with Retry-After; anything else is a 500 whose details stay in the
// log, next to the request id the client was given.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { UnavailableError } from '../../kafka/errors.js';
import type { ErrorResponse } from '../schemas/errors.js';
import { USERNAME_RULE } from '../schemas/signup.js';

/** Seconds a client should wait before retrying a request that met an unavailable dependency. */
export const RETRY_AFTER_SECONDS = 5;

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

const FRIENDLY: Record<string, Partial<Record<string, string>>> = {
  email: { format: 'must be an email address', maxLength: 'must be at most 254 characters' },
  username: {
    pattern: `must be ${USERNAME_RULE}`,
    minLength: `must be ${USERNAME_RULE}`,
    maxLength: `must be ${USERNAME_RULE}`,
  },
};

interface ClientErrorCode {
  readonly code: string;
  readonly message: string;
  readonly detail: (request: FastifyRequest) => { field: string; message: string };
}

const notJson = () => ({ field: '(body)', message: 'must be a JSON object' });

const FASTIFY_CLIENT_ERRORS: Partial<Record<string, ClientErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'MALFORMED_JSON',
    message: 'The body is not valid JSON.',
    detail: notJson,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'MALFORMED_JSON',
    message: 'The body is empty.',
    detail: notJson,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    message: 'The body is larger than this API accepts.',
    detail: (request) => ({ field: '(body)', message: `must be at most ${request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit} bytes` }),
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'The body must be JSON.',
    detail: () => ({ field: 'content-type', message: 'must be application/json' }),
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_CONTENT_LENGTH',
    message: 'The content-length header does not match the body.',
    detail: () => ({ field: 'content-length', message: 'must be the length of the body' }),
  },
};

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const details = validationDetails(error.validation, error.validationContext);
      return send(request, reply, 400, 'INVALID_REQUEST', 'The request is invalid; see details.', details);
    }
    if (error instanceof UnavailableError) {
      request.log.warn({ err: error, dependency: error.dependency }, 'dependency unavailable');
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return send(request, reply, 503, 'UNAVAILABLE', `Service temporarily unavailable (${error.dependency}); retry later.`);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors, under this API's codes: its FST_ codes are its internals.
      const known = FASTIFY_CLIENT_ERRORS[error.code];
      if (known) return send(request, reply, status, known.code, known.message, [known.detail(request)]);
      // Plugins configured here (the rate limit's RATE_LIMITED) bring their own codes.
      const code = error.code && !error.code.startsWith('FST_') ? error.code : 'BAD_REQUEST';
      return send(request, reply, status, code, error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return send(request, reply, 500, 'INTERNAL', 'Internal error; the request id identifies it in our logs.');
  });

  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
  );
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  code: string,
  message: string,
  details?: ErrorResponse['details'],
): FastifyReply {
  const body: ErrorResponse = {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    message,
    ...(details ? { details } : {}),
    requestId: request.id,
  };
  return reply.code(statusCode).type('application/json').send(body);
}

function validationDetails(issues: ValidationIssue[], context: string | undefined): ErrorResponse['details'] {
  const seen = new Set<string>();
  const details: NonNullable<ErrorResponse['details']> = [];
  for (const issue of issues) {
    const { field, message } = describeIssue(issue, context);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push({ field, message });
  }
  return details;
}

function describeIssue(issue: ValidationIssue, context: string | undefined): { field: string; message: string } {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const params = issue.params;
  if (issue.keyword === 'required') {
    return { field: joinPath(path, String(params.missingProperty)), message: 'is required' };
  }
  if (issue.keyword === 'additionalProperties') {
    return { field: joinPath(path, String(params.additionalProperty)), message: 'is not allowed' };
  }
  const field = path || (context === 'body' ? '(body)' : (context ?? '(request)'));
  return { field, message: FRIENDLY[path]?.[issue.keyword] ?? issue.message ?? 'is invalid' };
}

const joinPath = (path: string, name: string) => (path ? `${path}.${name}` : name);
