// The welcome email itself, text and HTML. Pure, so its wording is unit-tested.
import type { UserSignedUp } from '../../events/user-signed-up.js';

export interface WelcomeMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Deterministic from the user id: whichever signup event sends it, a resend is recognisably the same message. */
  readonly messageId: string;
}

export function welcomeMessage(event: Pick<UserSignedUp, 'userId' | 'email' | 'username'>): WelcomeMessage {
  const name = event.username;
  return {
    to: event.email,
    subject: `Welcome, ${name}!`,
    text: `Hello ${name},\n\nwelcome aboard. Your account is ready.\n\n— The Signup Pipeline team\n`,
    // A paragraph a line: quoted-printable then wraps no line, whatever the name's length
    // (welcome-mail.ts relies on that).
    html: `<p>Hello ${escapeHtml(name)},</p>\n<p>welcome aboard. Your account is ready.</p>\n<p>— The Signup Pipeline team</p>\n`,
    messageId: welcomeMessageId(event.userId),
  };
}

/** Deterministic from the user id: whichever signup event sends it, a resend is recognisably the same message. */
export function welcomeMessageId(userId: string): string {
  return `<welcome.${userId}@signup-pipeline.invalid>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
