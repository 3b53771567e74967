// The services' own dependencies failing under load. Each is the dependency's fault, never
// the record's: the services wait and retry, nothing is dead-lettered, nothing is lost or
// done twice when it returns — PostgreSQL down, PostgreSQL read-only (a failover in
// progress), the SMTP server down, the SMTP server refusing our credentials. Then the one
// failure that is the record's own, a mailbox refused for good: dead-lettered, and
// re-published twice once fixed, still one email per user; onboarding dead letters
// re-published twice give no second enrolment.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroups } from '../../src/services/catalog.js';
import { deadLetterMessage, deadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { readDeadLetters, republish } from '../../src/operations/dead-letters.js';
import { stack } from '../support/api.js';
import { mailDir } from '../support/mail.js';
import { eventually } from '../support/services.js';
import { readTopic } from '../support/topics.js';
import { startLoad } from './support/load.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, startSystem, type FaultReport, type SystemUnderTest } from './support/system.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;
const sinkSwitch = (name: '.refuse-sender' | '.refuse-recipients') => join(mailDir(), name);

beforeAll(async () => {
  system = await startSystem({ CONSUMER_MAX_ATTEMPTS: '3', CONSUMER_INITIAL_BACKOFF_MS: '200', CONSUMER_MAX_BACKOFF_MS: '1000' });
});

afterAll(async () => {
  // Whatever happened, the next suite needs them.
  await stack('start', 'postgres').catch(() => undefined);
  await setReadOnly(false).catch(() => undefined);
  await stack('start', 'smtp').catch(() => undefined);
  for (const name of ['.refuse-sender', '.refuse-recipients'] as const) rmSync(sinkSwitch(name), { force: true });
  await system?.stop();
});


/** What a failover does to the old primary's clients: every write refused with 25006. */
async function setReadOnly(on: boolean) {
  await system.pool.query(on ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
  await system.pool.query('SELECT pg_reload_conf()');
}

async function duringLoad(fault: string, seconds: number, breakIt: () => Promise<void>, mendIt: () => Promise<void>): Promise<FaultReport> {
  const startedAt = Date.now();
  const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 900, maxSeconds: 30, requestTimeoutMs: 20_000 });
  await eventually(() => load.answered() >= 90, () => `answered ${load.answered()}`);
  await breakIt();
  try {
    await sleep(seconds * 1000);
  } finally {
    await mendIt();
  }
  const result = await load.done;
  const report = await check(system, fault, result, startedAt);
  expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests }); // the API needs none of these dependencies
  return report;
}

describe('dependency outages under load', () => {
  it('PostgreSQL down: the services pause and retry without committing; nothing is lost when it returns', async () => {
    await duringLoad('PostgreSQL stopped for 10 s', 10, () => stack('stop', 'postgres'), () => stack('start', 'postgres'));
  });

  it('PostgreSQL read-only (a failover): every write refused with 25006 is retried, never dead-lettered', async () => {
    await duringLoad('PostgreSQL read-only for 10 s', 10, () => setReadOnly(true), () => setReadOnly(false));
    expect(system.logs()).toMatch(/read-only transaction/);
  });

  it('SMTP down: email waits, retrying past its attempts bound, and sends every email once it is back', async () => {
    await duringLoad('SMTP server stopped for 8 s', 8, () => stack('stop', 'smtp'), () => stack('start', 'smtp'));
  });

  it('SMTP refusing our credentials (535): email waits the same way', async () => {
    const sender = sinkSwitch('.refuse-sender');
    await duringLoad('SMTP server refusing our credentials (535) for 10 s', 10, async () => writeFileSync(sender, ''), async () => rmSync(sender, { force: true }));
    expect(system.logs()).toMatch(/mail server unavailable: .*535/);
  });

  it('mailboxes refused for good: dead-lettered; email and onboarding dead letters re-published twice act once', async () => {
    const { config, api } = system;
    const startedAt = Date.now();
    const groups = consumerGroups(config);
    const load = startLoad({ port: system.port, ratePerSecond: 20, maxRequests: 400, maxSeconds: 20, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 60, () => `answered ${load.answered()}`);
    writeFileSync(sinkSwitch('.refuse-recipients'), '');
    await sleep(5_000);
    rmSync(sinkSwitch('.refuse-recipients'), { force: true });
    const result = await load.done;

    // Once the dead-letter topic stops growing, everything that failed is in it.
    const admin = api.kafka.admin();
    await admin.connect();
    const emailDlq = deadLetterTopic(groups.email);
    let letters = await readDeadLetters(config.kafka, admin, emailDlq);
    for (let stable = 0; stable < 3; ) {
      await sleep(2_000);
      const now = await readDeadLetters(config.kafka, admin, emailDlq);
      stable = now.length === letters.length ? stable + 1 : 0;
      letters = now;
    }
    expect(letters.length).toBeGreaterThan(0);
    expect(letters.every((l) => l.headers['dlq.attempts'] === '1' && l.headers['dlq.error.type'] === 'PoisonRecordError')).toBe(true);

    // Onboarding dead letters exactly as the runtime writes them, of signups it already
    // enrolled: re-published, they must not enrol anyone a second time.
    const onboardingDlq = deadLetterTopic(groups.onboarding);
    const signups = (await readTopic(config.kafka, config.topics.signups.name, { readCommitted: false })).slice(0, 25);
    const producer = createIdempotentProducer(api.kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000 });
    await producer.connect();
    await producer.send({
      topic: onboardingDlq,
      messages: signups.map((s) =>
        deadLetterMessage({ topic: config.topics.signups.name, partition: s.partition, message: { key: Buffer.from(s.key!), value: s.value, offset: s.offset, headers: {} } as never }, new Error('a fault of the past'), groups.onboarding, 5),
      ),
    });
    const onboardingLetters = await readDeadLetters(config.kafka, admin, onboardingDlq);
    await admin.disconnect();
    for (const [dlq, chosen] of [[emailDlq, letters], [onboardingDlq, onboardingLetters]] as const) {
      await republish(producer, dlq, chosen);
      await republish(producer, dlq, chosen); // twice: an operator's double click
    }
    await producer.disconnect();

    const report = await check(system, 'mailboxes refused for 5 s: email dead letters, and 25 onboarding dead letters, each re-published twice', result, startedAt);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests, deadLettered: letters.length + onboardingLetters.length });
  });
});
