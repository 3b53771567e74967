// The schema registry down under load: signups go on (the API's writer schema id is
// cached), consumers go on decoding the schema ids they know, and a record written with a
// schema id a consumer has not seen yet waits for the registry instead of being
// dead-lettered.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaHistory } from '../../src/events/schema-history.js';
import { valueSubject } from '../../src/events/subjects.js';
import { USER_SIGNED_UP } from '../../src/events/user-signed-up.js';
import { createIdempotentProducer } from '../../src/kafka/producer.js';
import { AvroEncoder } from '../../src/registry/avro-encoder.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { registeredSchemaId } from '../../src/registry/schema-id.js';
import { AnalyticsStore } from '../../src/services/analytics/store.js';
import { stack } from '../support/api.js';
import { eventually } from '../support/services.js';
import { startLoad } from './support/load.js';
import { expectNothingLostOrDuplicated } from './support/guarantees.js';
import { check, startSystem, type SystemUnderTest } from './support/system.js';
import { sleep } from '../support/sleep.js';

let system: SystemUnderTest;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await stack('start', 'registry'); // whatever happened, the next suite needs it
  await system?.stop();
});


describe('schema registry down under load', () => {
  it('signups continue, known schema ids decode, a new schema id waits for the registry instead of the dead-letter topic', async () => {
    const { config, api, pool } = system;
    const topic = config.topics.signups.name;
    // The v1 writer schema: registered, but no consumer has seen its id (the API writes v2).
    const v1 = loadSchemaHistory(USER_SIGNED_UP).versions[0]!;
    const v1Encoder = new AvroEncoder(await registeredSchemaId(createRegistryClient(config.registry), valueSubject(topic), v1), v1.schema);

    const startedAt = Date.now();
    const load = startLoad({ port: system.port, ratePerSecond: 30, maxRequests: 900, maxSeconds: 30, requestTimeoutMs: 20_000 });
    await eventually(() => load.answered() >= 90, () => `answered ${load.answered()}`);
    await stack('stop', 'registry');

    const oldWriter = { eventId: randomUUID(), userId: randomUUID(), email: `v1-writer-${randomUUID().slice(0, 6)}@example.com`, username: 'v1_writer', occurredAt: new Date() };
    const producer = createIdempotentProducer(api.kafka, { lingerMs: 0, deliveryTimeoutMs: 10_000 });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: oldWriter.userId, value: v1Encoder.encode(oldWriter) }] });
    await producer.disconnect();

    await sleep(10_000); // the registry stays down while the load goes on
    const analytics = new AnalyticsStore(pool, config.analytics.dbSchema);
    const countedWhileDown = (await pool.query(`SELECT 1 FROM ${config.analytics.dbSchema}.counted_users WHERE user_id = $1`, [oldWriter.userId])).rowCount;
    await stack('start', 'registry');
    const result = await load.done;
    const report = await check(system, 'schema registry stopped for 10 s (and a record with a schema id new to the consumers)', result, startedAt);

    expect(countedWhileDown).toBe(0); // it waited…
    expect((await pool.query(`SELECT 1 FROM ${config.analytics.dbSchema}.counted_users WHERE user_id = $1`, [oldWriter.userId])).rowCount).toBe(1); // …and was handled
    expect((await analytics.counts()).total).toBe(report.eventsFound);
    expectNothingLostOrDuplicated(report, { everyRequestCreated: result.requests }); // every signup acknowledged while the registry was down
  });
});
