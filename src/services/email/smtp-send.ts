// Sends a composed welcome email over the pooled SMTP transport, without nodemailer's
// sendMail where it can. sendMail compiles every message again, raw or not: it parses the addresses,
// builds a MIME tree around the raw message and pipes it through its streams. Measured with
// bench/ceilings/smtp-sink.mjs (256 connections, composing included), the client's CPU per
// email was 456–549 µs through sendMail and 280–296 µs through the transport.
//
// The message reaches the transport through the interface every nodemailer transport
// implements, send(mail, callback), as the message object transports read: its envelope, its
// Message-ID and a stream of its bytes. Only envelopes of plain ASCII addresses go this way:
// those sendMail would pass on unchanged (it converts international domains to punycode).
import { Readable } from 'node:stream';
import type { Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import type { ComposedMail } from './welcome-mail.js';

export interface Envelope {
  readonly from: string;
  readonly to: string;
}

/** An address the envelope can carry as it is. */
const PLAIN_ADDRESS = /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9]+(-+[A-Za-z0-9]+)*\.)+[A-Za-z]+(-+[A-Za-z0-9]+)*$/;

/** `Signup Pipeline <welcome@example.com>` → `welcome@example.com`, if that address is plain ASCII. */
export function plainSender(from: string): string | undefined {
  const parsed = addressparser(from, { flatten: true });
  const address = parsed.length === 1 ? parsed[0]!.address : undefined;
  return address !== undefined && PLAIN_ADDRESS.test(address) ? address : undefined;
}

/** The envelope for a recipient, when both its addresses are plain ASCII; undefined sends go through sendMail. */
export function plainEnvelope(sender: string | undefined, to: string): Envelope | undefined {
  return sender !== undefined && PLAIN_ADDRESS.test(to) ? { from: sender, to } : undefined;
}

/**
 * Sends the message as composed: straight to the transport when its envelope is plain, else
 * through sendMail. Given the envelope and the Message-ID, sendMail neither parses the raw
 * message's address headers for them nor makes up an id. Rejects with nodemailer's own error.
 */
export function sendComposed(mailer: Transporter, mail: ComposedMail): Promise<unknown> {
  return mail.envelope
    ? sendRaw(mailer, mail.envelope, mail.messageId, mail.raw)
    : mailer.sendMail({ envelope: { from: mail.from, to: mail.to }, messageId: mail.messageId, raw: mail.raw });
}

/** Hands the raw message to the mailer's transport; rejects with the transport's own error. */
export function sendRaw(mailer: Transporter, envelope: Envelope, messageId: string, raw: string): Promise<void> {
  const message = {
    getEnvelope: () => ({ from: envelope.from, to: [envelope.to] }),
    messageId: () => messageId,
    getHeader: (name: string) => (name.toLowerCase() === 'message-id' ? messageId : undefined),
    createReadStream: () => Readable.from([Buffer.from(raw)], { objectMode: false }),
  };
  return new Promise((resolve, reject) => {
    mailer.transporter.send({ data: {}, message } as unknown as MailMessage, (error) => (error ? reject(error) : resolve()));
  });
}
