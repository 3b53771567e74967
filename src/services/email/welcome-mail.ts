// The welcome email as the bytes sent over SMTP, composed by nodemailer's MailComposer.
//
// Composing a text-and-HTML message costs about 0.5 ms of CPU (the library streams every
// part through its encoders): more than half of what the email service spends on a user.
// Welcome emails differ only in the user's name, address and id and in the date, so the
// library composes one email per process with placeholders for those, and each user's
// email is that composition with the user's values put in: but only for values the library
// writes out unchanged, ASCII of a bounded length that no header folding, quoted-printable
// or HTML escaping touches. Any other user's email is composed by the library in full.
// test/unit/welcome-mail.test.ts checks that the two give the same bytes.
import MailComposer from 'nodemailer/lib/mail-composer';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import { plainEnvelope, plainSender, type Envelope } from './smtp-send.js';
import { welcomeMessage, welcomeMessageId } from './welcome-message.js';

export interface ComposedMail {
  readonly from: string;
  readonly to: string;
  /** The whole message, headers and body, for nodemailer's `raw`. */
  readonly raw: string;
  readonly messageId: string;
  /** The SMTP envelope when both addresses are plain ASCII (smtp-send.ts); otherwise nodemailer works it out. */
  readonly envelope: Envelope | undefined;
}

type Recipient = Pick<UserSignedUp, 'userId' | 'email' | 'username'>;
type Field = 'username' | 'email' | 'userId' | 'date';
interface Template {
  readonly parts: readonly string[];
  readonly fields: readonly Field[];
}

// Values put in place: ASCII that the library writes out as it is, of bounded length.
const PLAIN = {
  username: /^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$/,
  // A dot-atom (the library quotes a local part with a leading, trailing or double dot) at a
  // lower-case host name (it lower-cases the domain, as the API does) whose last label
  // starts with a letter (it reads an all-digit domain as an IPv4 address: 0.0 is 0.0.0.0).
  email: /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@([a-z0-9]+(-+[a-z0-9]+)*\.)+[a-z]+(-+[a-z0-9]+)*$/,
  userId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
};
const MAX_EMAIL_LENGTH = 64;
// The library's quoted-printable wrapping depends on the length of the text before it, so
// there is one composition per username length. Placeholders: characters the message
// holds nowhere else (checked when composing). A date of the same length as any other:
// toUTCString pads the day to two digits.
const placeholders = (usernameLength: number) => ({
  username: 'Z'.repeat(usernameLength),
  email: `${'q'.repeat(MAX_EMAIL_LENGTH - 'placeholder.invalid'.length - 1)}@placeholder.invalid`,
  userId: '00000000-dead-4bee-8fee-000000000000',
  date: new Date(Date.UTC(2000, 0, 1)),
});

export class WelcomeMailComposer {
  private readonly templates = new Map<number, Promise<Template | undefined>>();
  private readonly sender: string | undefined;

  /** `baseBoundary` fixes the multipart boundary (the library picks a random one otherwise). */
  constructor(
    private readonly from: string,
    private readonly baseBoundary?: string,
  ) {
    this.sender = plainSender(from);
  }

  async compose(user: Recipient, date = new Date()): Promise<ComposedMail> {
    const template = composedInPlace(user) ? await this.template(user.username.length) : undefined;
    const raw = template ? fill(template, { username: user.username, email: user.email, userId: user.userId, date: formatDate(date) }) : await this.build(user, date);
    return { from: this.from, to: user.email, raw, messageId: welcomeMessageId(user.userId), envelope: plainEnvelope(this.sender, user.email) };
  }

  private async build(user: Recipient, date: Date): Promise<string> {
    const { to, subject, text, html, messageId } = welcomeMessage(user);
    const mail = new MailComposer({ from: this.from, to, subject, text, html, messageId, date, ...(this.baseBoundary ? { baseBoundary: this.baseBoundary } : {}) });
    return (await mail.compile().build()).toString('utf8');
  }

  private template(usernameLength: number): Promise<Template | undefined> {
    let template = this.templates.get(usernameLength);
    if (!template) {
      template = this.composeTemplate(usernameLength);
      this.templates.set(usernameLength, template);
    }
    return template;
  }

  /** The composition with placeholders; undefined (every email composed in full) if they are not where expected. */
  private async composeTemplate(usernameLength: number): Promise<Template | undefined> {
    const { date, ...values } = placeholders(usernameLength);
    const raw = await this.build(values, date);
    const marks: [Field, string][] = [...(Object.entries(values) as [Field, string][]), ['date', formatDate(date)]];
    const pattern = new RegExp(marks.map(([, text]) => escapeRegExp(text)).join('|'), 'g');
    const fields = [...raw.matchAll(pattern)].map((match) => marks.find(([, text]) => text === match[0])![0]);
    // The name in the subject, the text and the HTML; the others once each.
    const expected: Record<Field, number> = { username: 3, email: 1, userId: 1, date: 1 };
    if (marks.some(([field]) => fields.filter((f) => f === field).length !== expected[field])) return undefined;
    return { parts: raw.split(pattern), fields };
  }
}

/** Whether the user's email is the per-process composition with the user's values in place. */
export function composedInPlace(user: Recipient): boolean {
  return PLAIN.username.test(user.username) && user.email.length <= MAX_EMAIL_LENGTH && PLAIN.email.test(user.email) && PLAIN.userId.test(user.userId);
}

function fill(template: Template, values: Record<Field, string>): string {
  let raw = template.parts[0]!;
  for (let i = 0; i < template.fields.length; i++) raw += values[template.fields[i]!] + template.parts[i + 1]!;
  return raw;
}

/** The Date header as MailComposer writes it. */
function formatDate(date: Date): string {
  return date.toUTCString().replace(/GMT/, '+0000');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
