// The welcome-email ledger against the real PostgreSQL: two instances never send to one
// user at once, a lock held too long makes the waiter retry later (a dependency failure),
// and once the mail server accepted a message only the mark is retried, never the send;
// several users in one transaction: a failed send leaves the others sent, and two instances
// claiming overlapping users do not deadlock.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool.js';
import { WelcomeEmailLedger } from '../../src/services/email/ledger.js';
import { stackConfig } from '../support/stack-env.js';
import { sleep } from '../support/sleep.js';

let pools: Pool[];
let a: WelcomeEmailLedger;
let b: WelcomeEmailLedger;

beforeAll(async () => {
  const url = stackConfig().database.url;
  // Instance a's sessions are named, so that the test can end exactly those.
  pools = [createPool(`${url}${url.includes('?') ? '&' : '?'}application_name=ledger-test-a`), createPool(url), createPool(url)];
  a = new WelcomeEmailLedger(pools[0]!);
  b = new WelcomeEmailLedger(pools[1]!, { lockWaitMs: 5000, holdMs: 60_000 });
  await a.init();
});

afterAll(async () => {
  for (const pool of pools ?? []) await pool.end();
});

const ids = () => ({ userId: randomUUID(), eventId: randomUUID(), messageId: `<welcome.${randomUUID()}@test>` });

describe('WelcomeEmailLedger.sendOnce', () => {
  it('lets a second instance wait while the first sends, then finds the email sent', async () => {
    const { userId, eventId, messageId } = ids();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    const first = a.sendOnce(userId, eventId, messageId, async () => {
      await gate; // the SMTP call in progress (or the process frozen inside it)
      sends++;
    });
    await sleep(300);
    const second = b.sendOnce(userId, randomUUID(), messageId, async () => void sends++);
    await sleep(500);
    expect(sends).toBe(0); // the second is waiting on the first's lock
    release();
    expect(await first).toBe('sent');
    expect(await second).toBe('already-sent');
    expect(sends).toBe(1);
  });

  it('gives up waiting within its bound, as a dependency failure, so the record is retried later', async () => {
    const { userId, eventId, messageId } = ids();
    const impatient = new WelcomeEmailLedger(pools[1]!, { lockWaitMs: 300, holdMs: 60_000 });
    let release!: () => void;
    const holding = a.sendOnce(userId, eventId, messageId, () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(300);
    const started = Date.now();
    await expect(impatient.sendOnce(userId, eventId, messageId, async () => undefined)).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
    expect(Date.now() - started).toBeLessThan(3000);
    release();
    expect(await holding).toBe('sent');
  });

  it('retries only the mark when the database failed after the server accepted the message', async () => {
    const { userId, eventId, messageId } = ids();
    let sends = 0;
    const send = async () => {
      sends++;
      // The session dies between the server's acceptance and the mark.
      await pools[2]!.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ledger-test-a' AND state = 'idle in transaction'`,
      );
    };
    await expect(a.sendOnce(userId, eventId, messageId, send)).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
    expect(sends).toBe(1);
    expect(await a.sendOnce(userId, eventId, messageId, send)).toBe('sent');
    expect(sends).toBe(1);
    const { rows } = await pools[2]!.query<{ status: string }>('SELECT status FROM welcome_emails WHERE user_id = $1', [userId]);
    expect(rows).toEqual([{ status: 'sent' }]);
    expect(await b.sendOnce(userId, eventId, messageId, send)).toBe('already-sent');
  });
});

describe('WelcomeEmailLedger.sendEach', () => {
  it('sends to several users in one transaction; one failed send leaves the others sent, and only it is tried again', async () => {
    const entries = Array.from({ length: 6 }, ids);
    const sentTo: string[] = [];
    const failing = entries[2]!.userId;
    const send = async (entry: { userId: string }) => {
      if (entry.userId === failing && !sentTo.includes('recovered')) throw new Error('refused this once');
      sentTo.push(entry.userId);
    };
    const first = await a.sendEach(entries, send);
    expect(first.map((o) => o.kind)).toEqual(['sent', 'sent', 'failed', 'sent', 'sent', 'sent']);
    sentTo.push('recovered');
    expect((await a.sendEach(entries, send)).map((o) => o.kind)).toEqual(['already-sent', 'already-sent', 'sent', 'already-sent', 'already-sent', 'already-sent']);
    expect(sentTo.filter((id) => id !== 'recovered').toSorted()).toEqual(entries.map((e) => e.userId).toSorted());
  });

  it('lets two instances claim overlapping users in opposite orders without a deadlock, each user sent once', async () => {
    const entries = Array.from({ length: 20 }, ids);
    const sends = new Map<string, number>();
    const send = async (entry: { userId: string }) => {
      await sleep(20);
      sends.set(entry.userId, (sends.get(entry.userId) ?? 0) + 1);
    };
    const [forward, backward] = await Promise.all([a.sendEach(entries, send), b.sendEach(entries.toReversed(), send)]);
    expect([...sends.values()]).toEqual(entries.map(() => 1));
    const kindsOf = (userId: string) => [forward[entries.findIndex((e) => e.userId === userId)]!.kind, backward[entries.toReversed().findIndex((e) => e.userId === userId)]!.kind].sort();
    for (const { userId } of entries) expect(kindsOf(userId)).toEqual(['already-sent', 'sent']);
  });
});
