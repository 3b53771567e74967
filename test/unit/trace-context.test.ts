import { describe, expect, it } from 'vitest';
import { continueTrace, traceIdOf } from '../../src/observability/trace-context.js';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('continueTrace', () => {
  it('continues a valid incoming trace with a new span id', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const next = continueTrace(incoming);
    expect(next).toMatch(TRACEPARENT);
    expect(traceIdOf(next)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(next).not.toBe(incoming);
  });

  it.each([undefined, '', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'])(
    'starts a new trace for %j',
    (incoming) => {
      const next = continueTrace(incoming);
      expect(next).toMatch(TRACEPARENT);
      expect(traceIdOf(next)).not.toBe('00000000000000000000000000000000');
    },
  );
});
