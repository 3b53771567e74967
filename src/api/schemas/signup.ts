// The shapes of POST /signup: one TypeBox definition gives validation, the TypeScript types
// and the OpenAPI document.
import { Type, type Static } from '@sinclair/typebox';

export const USERNAME_RULE = '3 to 32 characters: letters, digits, "_", "." or "-", starting with a letter or digit';

export const SignupRequest = Type.Object(
  {
    email: Type.String({
      format: 'email',
      maxLength: 254,
      description:
        'Email address; surrounding spaces are trimmed and the domain lower-cased. It identifies the account: every signup for the same address (compared case-insensitively) gets the same userId.',
      examples: ['ada@example.com'],
    }),
    username: Type.String({
      minLength: 3,
      maxLength: 32,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: `Username: ${USERNAME_RULE}.`,
      examples: ['ada_lovelace'],
    }),
  },
  { additionalProperties: false, $id: 'SignupRequest' },
);
export type SignupRequest = Static<typeof SignupRequest>;

export const SignupHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Optional. Retrying a request with the same key and body yields the same eventId. The userId never depends on it: it comes from the address, and consumers act once per user with or without a key.',
    }),
  ),
});

export const SignupAccepted = Type.Object(
  {
    userId: Type.String({ format: 'uuid', description: "The account's id, derived from the address: the same for every signup of that address." }),
    eventId: Type.String({ format: 'uuid' }),
    status: Type.Literal('accepted', { description: 'The event is durably in Kafka; downstream work follows.' }),
  },
  { $id: 'SignupAccepted' },
);
export type SignupAccepted = Static<typeof SignupAccepted>;
