// The services' own dependencies failing under load: PostgreSQL down (analytics, email and
// the tracker pause and retry without committing, nothing is lost when it returns), and the
// SMTP server down (email retries with back-off, dead-letters after the bound, and a later
// re-publish from the dead-letter topic sends each email once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroups } from '../../src/events/catalog.js';
import { deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { readDeadLetters, republish } from '../../src/operations/dead-letters.js';
import { stack } from '../support/api.js';
import { eventually } from '../support/services.js';
import { startLoad } from './support/load.js';
import { check, startSystem, type SystemUnderTest } from './support/system.js';

let system: SystemUnderTest;

beforeAll(async () => {
  system = await startSystem({ CONSUMER_MAX_ATTEMPTS: '3', CONSUMER_INITIAL_BACKOFF_MS: '200', CONSUMER_MAX_BACKOFF_MS: '1000' });
});

afterAll(async () => {
  // Whatever happened, the next suite needs them.
  await stack('start', 'postgres').catch(() => undefined);
  await stack('start', 'smtp').catch(() => undefined);
  await system?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dependency outages under load', () => {
  it('PostgreSQL down: the services pause and retry without committing; nothing is lost when it returns', async () => {
    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 900, maxSeconds: 30, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 90, () => `answered ${load.answered()}`);
    await stack('stop', 'postgres');
    await sleep(10_000);
    await stack('start', 'postgres');
    const result = await load.done;
    const report = await check(system, 'PostgreSQL stopped for 10 s', result, startedAt);
    expect(report.created).toBe(result.requests); // the API does not need the database
    expect(report.lost).toBe(0);
    expect(report.deadLettered).toBe(0); // a database outage is never the record's fault
    expect(report.doubleCounted).toBe(0);
    expect(report.secondEmails).toBe(0);
    expect(report.duplicateEnrolments).toBe(0);
    expect(report.rawEmailsInLogs).toBe(0);
  });

  it('SMTP down: email retries with back-off, dead-letters after the bound; a re-publish later sends each email once', async () => {
    const { config, api } = system;
    const startedAt = Date.now();
    const dlq = deadLetterTopic(consumerGroups(config).email);
    const load = startLoad({ port: system.port, ratePerSecond: 20, maxRequests: 400, maxSeconds: 20, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 60, () => `answered ${load.answered()}`);
    await stack('stop', 'smtp');
    await sleep(8_000);
    await stack('start', 'smtp');
    const result = await load.done;

    // Once the dead-letter topic stops growing, everything that failed is in it: re-publish.
    const admin = api.kafka.admin();
    await admin.connect();
    let letters = await readDeadLetters(api.kafka, admin, dlq);
    for (let stable = 0; stable < 3; ) {
      await sleep(2_000);
      const now = await readDeadLetters(api.kafka, admin, dlq);
      stable = now.length === letters.length ? stable + 1 : 0;
      letters = now;
    }
    await admin.disconnect();
    expect(letters.length).toBeGreaterThan(0);
    expect(letters.every((l) => l.headers['dlq.attempts'] === '3')).toBe(true);
    const producer = createIdempotentProducer(api.kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000 });
    await producer.connect();
    await republish(producer, dlq, letters);
    await republish(producer, dlq, letters); // twice: the ledger still sends each email once
    await producer.disconnect();

    const report = await check(system, 'SMTP server stopped for 8 s, dead letters re-published twice', result, startedAt);
    expect(report.deadLettered).toBe(letters.length); // email's dead letters only; the other groups had none
    expect(report.created).toBe(result.requests);
    expect(report.lost).toBe(0);
    expect(report.secondEmails).toBe(0);
    expect(report.doubleCounted).toBe(0);
    expect(report.duplicateEnrolments).toBe(0);
    expect(report.rawEmailsInLogs).toBe(0);
  });
});
