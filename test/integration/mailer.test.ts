// The SMTP client against the real SMTP sink: a pooled connection left idle past its socket
// timeout fails quietly and the next email opens a new one. (It used to end the process:
// an 'error' event nothing listened to, found by the fault suite.)
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smtpFault } from '../../src/kafka/consumer/failure-classification.js';
import { createMailer } from '../../src/services/email/service.js';
import { sendRaw } from '../../src/services/email/smtp-send.js';
import { WelcomeMailComposer } from '../../src/services/email/welcome-mail.js';
import { mailDir, receivedMail } from '../support/mail.js';
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

describe('sendRaw', () => {
  it('delivers what sendMail delivers, byte for byte, to the envelope it is given', async () => {
    const mailer = createMailer(stackConfig().mail.smtpUrl);
    const startedAt = Date.now();
    const to = `raw-${startedAt}@example.com`;
    const mail = await new WelcomeMailComposer('Signup Pipeline <welcome@signup-pipeline.invalid>').compose({ userId: '6f1c2a52-0d7e-4c1b-9a59-3c1e0e7f1a10', email: to, username: `raw${startedAt}` });
    expect(mail.envelope).toEqual({ from: 'welcome@signup-pipeline.invalid', to });
    try {
      await mailer.sendMail({ envelope: { from: mail.from, to: mail.to }, messageId: mail.messageId, raw: mail.raw });
      await sendRaw(mailer, mail.envelope!, mail.messageId, mail.raw);
    } finally {
      mailer.close();
    }
    const received = receivedMail(startedAt, new Set([to]));
    expect(received).toHaveLength(2);
    expect(received[0]!.raw).toBe(received[1]!.raw);
    expect(received[0]!.raw).toContain(`X-Sink-Mail-From: welcome@signup-pipeline.invalid\r\nX-Sink-Rcpt-To: ${to}\r\nFrom: Signup Pipeline`);
  });

  it("rejects with the server's reply when it refuses the mailbox, as sendMail does", async () => {
    const mailer = createMailer(stackConfig().mail.smtpUrl);
    const refuse = join(mailDir(), '.refuse-recipients');
    writeFileSync(refuse, '');
    try {
      const error = await sendRaw(mailer, { from: 'welcome@example.com', to: 'nobody@example.com' }, '<refused@example.com>', 'Subject: x\r\n\r\nx\r\n').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ responseCode: 550 });
      expect(smtpFault(error)).toBe('record');
    } finally {
      rmSync(refuse, { force: true });
      mailer.close();
    }
  });
});
