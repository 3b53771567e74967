// Failures a caller must tell apart: the infrastructure is unavailable right now (retry
// later, the request is safe to repeat) versus everything else (a bug, a bad contract).

/** Kafka or the schema registry cannot take the event now; the same call may succeed later. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(
    readonly dependency: 'kafka' | 'schema-registry',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
