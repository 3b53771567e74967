import { describe, expect, it } from 'vitest';
import { createLogger, maskEmail } from '../../src/logger.js';

describe('maskEmail', () => {
  it.each([
    ['ada@example.com', 'a***@example.com'],
    ['x@y.z', 'x***@y.z'],
    ['not-an-address', '***'],
    ['@example.com', '***'],
  ])('%s → %s', (input, masked) => expect(maskEmail(input)).toBe(masked));
});

describe('createLogger', () => {
  it('masks any field named email, at any of the usual depths', () => {
    const lines: string[] = [];
    const logger = createLogger('info', 'test', { write: (line: string) => lines.push(line) });
    logger.info({ email: 'ada@example.com', user: { email: 'bob@example.org' }, a: { b: { email: 'cy@example.net' } } }, 'hello');
    const out = lines.join('');
    expect(out).not.toMatch(/ada@|bob@|cy@/);
    expect(out).toContain('a***@example.com');
    expect(out).toContain('b***@example.org');
  });
});
