// Kafka header names every producer and consumer agree on.
export const Headers = {
  /** The id of the HTTP request that caused the event (also the API's log request id). */
  requestId: 'request-id',
  /** W3C trace context, so one signup can be followed across processes. */
  traceparent: 'traceparent',
} as const;
