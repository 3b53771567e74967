import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { composedInPlace, WelcomeMailComposer } from '../../src/services/email/welcome-mail.js';
import { welcomeMessage } from '../../src/services/email/welcome-message.js';

const FROM = 'Signup Pipeline <welcome@signup-pipeline.invalid>';
const BOUNDARY = 'b0f1e2d3c4b5a697';

/** The email as the library composes it from scratch. */
async function composedByLibrary(user: { userId: string; email: string; username: string }, date: Date): Promise<string> {
  const { to, subject, text, html, messageId } = welcomeMessage(user);
  return (await new MailComposer({ from: FROM, to, subject, text, html, messageId, date, baseBoundary: BOUNDARY }).compile().build()).toString('utf8');
}

// Mostly what the API accepts, and now and then anything: the two ways must agree on all of it.
const usernames = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$/), fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }));
const localParts = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._+'-]{1,44}$/), fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }));
const domains = fc.oneof(fc.domain(), fc.stringMatching(/^[A-Za-z0-9.-]{1,30}$/));
const addresses = fc.tuple(localParts, domains).map(([local, domain]) => `${local}@${domain}`);
const userIds = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }));
const dates = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });

describe('WelcomeMailComposer', () => {
  it('gives the bytes the library composes, whatever the user', async () => {
    const composer = new WelcomeMailComposer(FROM, BOUNDARY);
    await fc.assert(
      fc.asyncProperty(usernames, addresses, userIds, dates, async (username, email, userId, date) => {
        const user = { username, email, userId };
        const mail = await composer.compose(user, date);
        expect(mail.raw).toBe(await composedByLibrary(user, date));
        expect(mail).toMatchObject({ from: FROM, to: email, messageId: welcomeMessage(user).messageId });
      }),
      { numRuns: 1000 },
    );
  });

  it('puts the values in place for the users the API accepts with a plain address', () => {
    const userId = '01a20f51-89ca-710c-a627-5ec3677a03dc';
    for (const [username, email] of [['ada', 'ada@example.com'], ['a'.repeat(32), 'first.last+tag@mail.example.co.uk'], ['x_1.y-2', 'X-Y_z@sub-1.example'], ['ada', 'ada@xn--bcher-kva.example']]) {
      expect(composedInPlace({ username: username!, email: email!, userId })).toBe(true);
    }
    for (const email of ['.ada@example.com', 'ada.@example.com', 'a..b@example.com', "o'brien@example.com", 'ada@-example.com', 'ada@example', 'ada@Example.com', 'ada@0.0', 'ada@example.123', `${'a'.repeat(60)}@example.com`]) {
      expect(composedInPlace({ username: 'ada', email, userId })).toBe(false);
    }
    expect(composedInPlace({ username: 'zoë', email: 'zoe@example.com', userId })).toBe(false);
  });

  it('leaves other users to the library, which encodes what needs encoding', async () => {
    const composer = new WelcomeMailComposer(FROM, BOUNDARY);
    const date = new Date('2026-11-26T12:00:00Z');
    const others = [
      { username: 'zoë', email: 'zoe@example.com', userId: '01a20f51-89ca-710c-a627-5ec3677a03dc' },
      { username: 'ada<b>', email: 'ada@example.com', userId: '01a20f51-89ca-710c-a627-5ec3677a03dc' },
      { username: 'ada', email: `${'a'.repeat(60)}@example.com`, userId: '01a20f51-89ca-710c-a627-5ec3677a03dc' },
      { username: 'ada', email: "o'brien@example.com", userId: '01a20f51-89ca-710c-a627-5ec3677a03dc' },
      { username: 'ada', email: 'ada@example.com', userId: 'not-a-uuid' },
    ];
    for (const user of others) expect((await composer.compose(user, date)).raw).toBe(await composedByLibrary(user, date));
    const encoded = (await composer.compose(others[0]!, date)).raw;
    expect(encoded).toContain('Subject: =?UTF-8?Q?Welcome=2C_zo=C3=AB!?=');
    expect(encoded).not.toContain('PLACEHOLDER');
  });

  it('puts the date of each email in its Date header', async () => {
    const composer = new WelcomeMailComposer(FROM);
    const user = { username: 'ada', email: 'ada@example.com', userId: '01a20f51-89ca-710c-a627-5ec3677a03dc' };
    expect((await composer.compose(user, new Date('2026-11-26T09:08:07Z'))).raw).toContain('Date: Thu, 26 Nov 2026 09:08:07 +0000');
    expect((await composer.compose(user, new Date('2026-12-01T00:00:00Z'))).raw).toContain('Date: Tue, 01 Dec 2026 00:00:00 +0000');
  });
});
