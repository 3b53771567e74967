import { describe, expect, it } from 'vitest';
import { version as uuidVersion } from 'uuid';
import { enrolmentFor } from '../../src/services/onboarding/enrolment.js';
import { welcomeMessage } from '../../src/services/email/welcome-message.js';

const signup = {
  eventId: '01a20f51-89ca-710c-a627-62dd87520a4b',
  userId: '01a20f51-89ca-710c-a627-5ec3677a03dc',
  email: 'ada@example.com',
  username: 'ada<b>',
  occurredAt: new Date('2026-11-24T12:00:00Z'),
  locale: 'en-GB',
};

describe('welcomeMessage', () => {
  it('is addressed to the user, has text and escaped HTML, and a Message-ID derived from the user id', () => {
    const message = welcomeMessage(signup);
    expect(message.to).toBe('ada@example.com');
    expect(message.text).toContain('Hello ada<b>');
    expect(message.html).toContain('Hello ada&lt;b&gt;');
    expect(message.messageId).toBe(`<welcome.${signup.userId}@signup-pipeline.invalid>`);
    // Another signup event of the same user is the same message.
    expect(welcomeMessage({ ...signup, username: 'other' }).messageId).toBe(message.messageId);
  });
});

describe('enrolmentFor', () => {
  it('derives the enrolment id from the signup, so reprocessing yields the same event', () => {
    const a = enrolmentFor(signup);
    expect(enrolmentFor(signup)).toEqual(a);
    expect(uuidVersion(a.eventId)).toBe(5);
    expect(a).toMatchObject({ sourceEventId: signup.eventId, userId: signup.userId, locale: 'en-GB', registeredAt: signup.occurredAt, plan: 'standard' });
    expect(enrolmentFor({ ...signup, eventId: '01a20f51-89ca-710c-a627-000000000000' }).eventId).not.toBe(a.eventId);
  });
});
