// Whose fault is a failure: the record's (dead-letter it) or a dependency's (wait for it,
// never dead-letter)? One rule per dependency, decided on protocol codes (pg's client-side
// failures, which carry none, on its fixed texts). The adapters (db/pool.ts, email/service.ts, avro-decoder.ts) throw the matching
// error type; errors.ts turns the type into retry or dead-letter.

export type Fault = 'dependency' | 'record' | 'unknown';

/**
 * PostgreSQL: connection loss, and every SQLSTATE class that describes the server rather
 * than the statement — insufficient resources (53: disk full, out of memory, too many
 * connections), operator intervention (57: query canceled by a timeout, admin shutdown,
 * cannot connect now), system errors (58), transaction rollbacks (40: deadlock,
 * serialization failure), a read-only server after a failover (25006) and a lock not
 * available (55P03). pg's own client-side query timeout has no code.
 */
export function postgresFault(error: unknown): Fault {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return 'dependency';
    if (/^(08|53|57|58|40)/.test(code) || code === '25006' || code === '55P03') return 'dependency';
  }
  // pg reports its client-side failures without a code; these three are its fixed texts.
  if (typeof message === 'string' && /^(Query read timeout|Connection terminated|timeout exceeded when trying to connect)|Client has encountered a connection error/.test(message)) {
    return 'dependency';
  }
  return 'unknown';
}

/**
 * SMTP: the server or our account cannot take mail now — no connection, greeting or TLS,
 * authentication refused or unavailable (530, 534, 535, 538, 454), service unavailable
 * (421), local error or insufficient storage (451, 452), a rate or quota limit (4xx) —
 * versus the server refusing this message or recipient for good (any other 5xx).
 */
export function smtpFault(error: unknown): Fault {
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  if (typeof code === 'string' && SMTP_DEPENDENCY_CODES.has(code)) return 'dependency';
  if (typeof responseCode === 'number') {
    if (SMTP_AUTH_REPLIES.has(responseCode) || (responseCode >= 400 && responseCode < 500)) return 'dependency';
    if (responseCode >= 500) return 'record';
  }
  return 'unknown';
}

/**
 * Schema registry: only the registry's own "schema not found" (404 with error code 40403)
 * says the id is unknown. Any other answer — a 404 from a proxy during a deploy, a 5xx, no
 * answer — is the registry being unavailable.
 */
export function registryLookupFault(error: unknown): Fault {
  const { status, errorCode } = error as { status?: unknown; errorCode?: unknown };
  return status === 404 && errorCode === REGISTRY_SCHEMA_NOT_FOUND ? 'record' : 'dependency';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** nodemailer's codes for failures before any reply about the message. */
const SMTP_DEPENDENCY_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EAUTH', 'ENOAUTH', 'ETLS', 'EPROTOCOL', 'ECONNRESET', 'ECONNREFUSED']);
const SMTP_AUTH_REPLIES = new Set([530, 534, 535, 538]);
const REGISTRY_SCHEMA_NOT_FOUND = 40403;
