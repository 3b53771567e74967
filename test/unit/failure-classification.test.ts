import { describe, expect, it } from 'vitest';
import { postgresFault, registryLookupFault, smtpFault } from '../../src/kafka/consumer/failure-classification.js';

const pg = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('postgresFault', () => {
  it.each([
    ['25006', 'read-only transaction (a replica promoted, or a failover in progress)'],
    ['57014', 'query canceled by statement_timeout'],
    ['57P01', 'admin shutdown'],
    ['57P03', 'cannot connect now'],
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['53300', 'too many connections'],
    ['40P01', 'deadlock'],
    ['40001', 'serialization failure'],
    ['55P03', 'lock not available'],
    ['08006', 'connection failure'],
    ['58030', 'I/O error'],
    ['ECONNREFUSED', 'server down'],
    ['ECONNRESET', 'connection reset'],
  ])('%s (%s) is the database’s fault', (code) => {
    expect(postgresFault(pg(code))).toBe('dependency');
  });

  it('counts pg’s own client-side timeouts and lost connections, which carry no code', () => {
    expect(postgresFault(new Error('Query read timeout'))).toBe('dependency');
    expect(postgresFault(new Error('Connection terminated unexpectedly'))).toBe('dependency');
    expect(postgresFault(new Error('timeout exceeded when trying to connect'))).toBe('dependency');
  });

  it.each([
    ['23505', 'unique violation'],
    ['22P02', 'invalid text representation'],
    ['42P01', 'undefined table'],
  ])('%s (%s) is not a dependency failure', (code) => {
    expect(postgresFault(pg(code))).toBe('unknown');
  });
});

describe('smtpFault', () => {
  const smtp = (responseCode: number | undefined, code = 'EENVELOPE') => Object.assign(new Error(`smtp ${responseCode}`), { code, responseCode });

  it.each([421, 450, 451, 452, 454, 530, 534, 535, 538])('reply %i: the server or our account cannot send now', (reply) => {
    expect(smtpFault(smtp(reply, 'EMESSAGE'))).toBe('dependency');
  });

  it.each(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EAUTH', 'ETLS'])('%s: no usable connection or login', (code) => {
    expect(smtpFault(smtp(undefined, code))).toBe('dependency');
  });

  it('authentication refused during login is ours to fix, whatever the reply', () => {
    expect(smtpFault(smtp(535, 'EAUTH'))).toBe('dependency');
  });

  it.each([550, 551, 552, 553, 554, 501])('reply %i to the message or recipient: refused for good', (reply) => {
    expect(smtpFault(smtp(reply))).toBe('record');
  });

  it('anything else is left to the bounded retries', () => {
    expect(smtpFault(new Error('something odd'))).toBe('unknown');
  });
});

describe('registryLookupFault', () => {
  const rest = (status: number, errorCode: number) => Object.assign(new Error('rest'), { status, errorCode });

  it('only the registry’s own "schema not found" makes the id unknown', () => {
    expect(registryLookupFault(rest(404, 40403))).toBe('record');
  });

  it.each([
    [404, -1, 'a 404 from a proxy during a deploy (no registry error code)'],
    [404, 40401, 'subject not found'],
    [500, 50001, 'a registry error'],
    [503, -1, 'unavailable'],
  ])('%i / %i (%s) is the registry being unavailable', (status, errorCode) => {
    expect(registryLookupFault(rest(status, errorCode))).toBe('dependency');
  });

  it('no answer at all is the registry being unavailable', () => {
    expect(registryLookupFault(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('dependency');
  });
});
