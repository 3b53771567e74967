import { describe, expect, it } from 'vitest';
import { RecordLogger } from '../../src/kafka/consumer/record-logger.js';
import { createLogger } from '../../src/logger.js';

function capture(level: 'info' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, 'test', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const bindings = { topic: 'user-signed-up', partition: 2, offset: '41', reqId: 'req-1', traceparent: undefined, eventId: 'event-1' };
  return { lines, record: new RecordLogger(logger, bindings) };
}

describe('RecordLogger', () => {
  it("writes the record's coordinates, request id and event id on each line, beside the line's own fields", () => {
    const { lines, record } = capture('info');
    record.info({ userId: 'user-1' }, 'signup counted');
    record.warn({ attempt: 2 }, 'record failed; retrying after back-off');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, topic: 'user-signed-up', partition: 2, offset: '41', reqId: 'req-1', eventId: 'event-1', userId: 'user-1', msg: 'signup counted' });
    expect(lines[0]).not.toHaveProperty('traceparent');
    expect(lines[1]).toMatchObject({ level: 40, offset: '41', eventId: 'event-1', attempt: 2 });
  });

  it('masks an email address given as a field, as every log line does', () => {
    const { lines, record } = capture('info');
    record.info({ email: 'alice@example.com' }, 'welcome email sent');
    expect(lines[0]!.email).toBe('a***@example.com');
  });

  it('writes nothing below its level', () => {
    const { lines, record } = capture('warn');
    record.debug({ a: 1 }, 'debug');
    record.info({ a: 1 }, 'info');
    record.error({ a: 1 }, 'error');
    expect(lines.map((line) => line.msg)).toEqual(['error']);
  });
});
