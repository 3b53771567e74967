// onboarding: consume-transform-produce. Each UserSignedUp becomes a
// UserRegisteredForOnboarding on its own topic, produced in the same Kafka transaction that
// commits the input offset, so read_committed readers see each enrolment exactly once.
import { Headers } from '../../events/headers.js';
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import type { ConsumerService } from '../../kafka/consumer/runtime.js';
import { continueTrace } from '../../observability/trace-context.js';
import type { AvroEncoder } from '../../registry/avro-encoder.js';
import { enrolmentFor } from './enrolment.js';

export interface OnboardingServiceOptions {
  readonly groupId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly readerSchema: string;
  /** Encoder pinned to the registered UserRegisteredForOnboarding schema. */
  readonly encoder: AvroEncoder<UserRegisteredForOnboarding>;
}

export function onboardingService(options: OnboardingServiceOptions): ConsumerService<UserSignedUp> {
  return {
    name: 'onboarding',
    groupId: options.groupId,
    topic: options.inputTopic,
    readerSchema: options.readerSchema,
    async handle(signup, { headers, logger }) {
      const enrolment = enrolmentFor(signup);
      logger.info({ userId: signup.userId, enrolmentId: enrolment.eventId }, 'enrolling user in onboarding');
      // The request id travels on and the trace continues (same trace id, a new span for
      // this hop), so one signup can be followed end to end.
      const passOn: Record<string, string> = { [Headers.traceparent]: continueTrace(headers[Headers.traceparent]) };
      const requestId = headers[Headers.requestId];
      if (requestId) passOn[Headers.requestId] = requestId;
      return [
        {
          topic: options.outputTopic,
          key: signup.userId,
          value: options.encoder.encode(enrolment),
          headers: passOn,
        },
      ];
    },
  };
}
