import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { EventPublisher } from '../../kafka/event-publisher.js';
import type { UserIds } from '../identity.js';
import { Headers } from '../../events/headers.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import { maskEmail } from '../../logger.js';
import { ErrorResponse } from '../schemas/errors.js';
import { SignupAccepted, SignupHeaders, SignupRequest } from '../schemas/signup.js';
import { createSignupEvent } from '../signup-event.js';
import { continueTrace } from '../../observability/trace-context.js';

export interface SignupRouteOptions {
  readonly publisher: EventPublisher<UserSignedUp>;
  readonly userIds: UserIds;
  readonly rateLimit?: { readonly max: number; readonly windowMs: number } | undefined;
}

export const signupRoute: FastifyPluginAsyncTypebox<SignupRouteOptions> = async (app, { publisher, userIds, rateLimit }) => {
  app.post(
    '/signup',
    {
      ...(rateLimit ? { config: { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs } } } : {}),
      schema: {
        summary: 'Sign a user up',
        description:
          'Validates the signup and publishes a UserSignedUp event keyed by the userId. An email address identifies one account: every signup for the same address gets the same userId, and the answer is the same whether the address is new or known. Answers 201 once Kafka has acknowledged the event on all in-sync replicas; email, analytics and onboarding follow asynchronously, once per user.',
        tags: ['signup'],
        body: Type.Ref(SignupRequest),
        headers: SignupHeaders,
        response: {
          201: Type.Ref(SignupAccepted, { description: 'Accepted: Kafka has acknowledged the event' }),
          400: Type.Ref(ErrorResponse, { description: 'INVALID_REQUEST (details per field) or MALFORMED_JSON' }),
          413: Type.Ref(ErrorResponse, { description: 'BODY_TOO_LARGE' }),
          415: Type.Ref(ErrorResponse, { description: 'UNSUPPORTED_MEDIA_TYPE' }),
          429: Type.Ref(ErrorResponse, { description: 'RATE_LIMITED' }),
          503: Type.Ref(ErrorResponse, { description: 'UNAVAILABLE: Kafka did not acknowledge in time; retry after Retry-After seconds' }),
        },
      },
      // Surrounding spaces are a copy-paste accident, not an invalid address: trim before validating.
      preValidation: async (request) => {
        const body = request.body as { email?: unknown } | null;
        if (body && typeof body === 'object' && typeof body.email === 'string') body.email = body.email.trim();
      },
    },
    async (request, reply) => {
      const event = createSignupEvent(request.body, {
        userId: userIds.forEmail(request.body.email),
        idempotencyKey: request.headers['idempotency-key'],
        acceptLanguage: request.headers['accept-language'],
        now: new Date(),
      });
      const traceparent = continueTrace(request.headers.traceparent);
      const metadata = await publisher.publish(event.userId, event, {
        [Headers.requestId]: request.id,
        [Headers.traceparent]: traceparent,
      });
      request.outcome = {
        msg: 'signup accepted',
        fields: { userId: event.userId, eventId: event.eventId, email: maskEmail(event.email), partition: metadata.partition, offset: metadata.baseOffset ?? metadata.offset, traceparent },
      };
      return reply.code(201).send({ userId: event.userId, eventId: event.eventId, status: 'accepted' as const });
    },
  );
};
