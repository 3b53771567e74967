// The SMTP client against the real SMTP sink: a pooled connection left idle past its socket
// timeout fails quietly and the next email opens a new one. (It used to end the process:
// an 'error' event nothing listened to, found by the fault suite.)
import { describe, expect, it } from 'vitest';
import { createMailer } from '../../src/services/email/service.js';
import { receivedMail } from '../support/mail.js';
import { stackConfig } from '../support/stack-env.js';
import { sleep } from '../support/sleep.js';

describe('createMailer', () => {
  it('survives its pooled connection timing out while idle, and sends the next email', async () => {
    const mailer = createMailer(stackConfig().mail.smtpUrl);
    const startedAt = Date.now();
    const to = `idle-${startedAt}@example.com`;
    try {
      await mailer.sendMail({ from: 'test@example.com', to, subject: 'before the idle timeout', text: '1' });
      await sleep(11_500); // socketTimeout is 10 s
      await mailer.sendMail({ from: 'test@example.com', to, subject: 'after the idle timeout', text: '2' });
    } finally {
      mailer.close();
    }
    expect(receivedMail(startedAt, new Set([to])).map((m) => m.subject).sort()).toEqual(['after the idle timeout', 'before the idle timeout']);
  });
});
