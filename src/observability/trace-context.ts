// W3C Trace Context (traceparent): continue the caller's trace when it sent a valid
// header, start a new one otherwise. The span id is always new: it names this hop.
import { randomBytesPooled } from './random-bytes.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

export function continueTrace(incoming: string | string[] | undefined): string {
  const header = Array.isArray(incoming) ? incoming[0] : incoming;
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  const traceId = match && !ALL_ZERO.test(match[1]!) && !ALL_ZERO.test(match[2]!) ? match[1]! : randomBytesPooled(16).toString('hex');
  const flags = match ? match[3]! : '01';
  return `00-${traceId}-${randomBytesPooled(8).toString('hex')}-${flags}`;
}

export function traceIdOf(traceparent: string): string | undefined {
  return TRACEPARENT.exec(traceparent)?.[1];
}
