// The dlq tool's command line: what it takes, and what it refuses before reading anything.
import { describe, expect, it } from 'vitest';
import { parseDlqArguments } from '../../src/cli/dlq-arguments.js';
import { DeadLetterRefusedError, chooseLetters } from '../../src/operations/dead-letter-handling.js';
import type { DeadLetter, HandledMark } from '../../src/operations/dead-letters.js';

describe('dlq arguments', () => {
  it('takes the list, republish and discard calls with their options', () => {
    expect(parseDlqArguments(['list', 'email', '--error', 'PoisonRecordError', '--json'])).toEqual({ command: 'list', service: 'email', all: false, json: true, errorClass: 'PoisonRecordError' });
    expect(parseDlqArguments(['republish', 'email', '0:1', '0:2', '--again'])).toEqual({ command: 'republish', service: 'email', positions: ['0:1', '0:2'], again: true });
    expect(parseDlqArguments(['republish', 'email', '--all'])).toEqual({ command: 'republish', service: 'email', positions: 'all-waiting', again: false });
    expect(parseDlqArguments(['discard', 'email', '0:3', '--reason', 'test account'])).toEqual({ command: 'discard', service: 'email', positions: ['0:3'], reason: 'test account' });
  });

  it.each([
    [['list'], /a service is needed/],
    [['list', 'nobody'], /unknown service/],
    [['republish', 'email'], /positions or --all/],
    [['republish', 'email', '0:1', '--all'], /positions or --all/],
    [['republish', 'email', '7'], /partition:offset/],
    [['discard', 'email', '0:1'], /--reason/],
    [['discard', 'email', '0:1', '--reason', ' '], /--reason needs a value/],
    [['list', 'email', '--again'], /does not take --again/],
    [['list', 'email', '--error'], /--error needs a value/],
  ])('refuses %j', (args, problem) => {
    const parsed = parseDlqArguments(args);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

describe('choosing letters', () => {
  const letter = (offset: number): DeadLetter => ({ partition: 0, offset: String(offset), key: null, value: null, headers: {} });
  const letters = [letter(1), letter(2), letter(3)];
  const handled = new Map<string, HandledMark>([['0:2', { action: 'discarded', at: '2026-11-26T10:00:00.000Z', reason: 'test account' }]]);

  it('--all chooses the letters still waiting; with --again every letter', () => {
    expect(chooseLetters(letters, handled, 'all-waiting', { again: false }).map((l) => l.offset)).toEqual(['1', '3']);
    expect(chooseLetters(letters, handled, 'all-waiting', { again: true }).map((l) => l.offset)).toEqual(['1', '2', '3']);
  });

  it('refuses a handled letter, saying when and how it was handled, unless --again', () => {
    expect(() => chooseLetters(letters, handled, ['0:1', '0:2'], { again: false })).toThrow(DeadLetterRefusedError);
    expect(() => chooseLetters(letters, handled, ['0:2'], { again: false })).toThrow('0:2 discarded at 2026-11-26T10:00:00.000Z: test account');
    expect(chooseLetters(letters, handled, ['0:2', '0:2'], { again: true }).map((l) => l.offset)).toEqual(['2']);
  });

  it('refuses a position that holds no letter', () => {
    expect(() => chooseLetters(letters, handled, ['0:9'], { again: false })).toThrow('no dead letter at 0:9');
  });
});
