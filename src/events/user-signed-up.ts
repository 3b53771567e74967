// The UserSignedUp contract as the TypeScript code sees it. schemas/UserSignedUp/ is the
// source of truth; test/unit/events.test.ts keeps this type and the newest schema in step.

export const USER_SIGNED_UP = 'UserSignedUp';

export interface UserSignedUp {
  readonly eventId: string;
  readonly userId: string;
  readonly email: string;
  readonly username: string;
  readonly occurredAt: Date;
  /** Since v2; null in events written with v1. */
  readonly locale: string | null;
}
