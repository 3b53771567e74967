// onboarding: consume-transform-produce. A user's first UserSignedUp becomes a
// UserRegisteredForOnboarding on its own topic, produced in the same Kafka transaction that
// commits the input offset; repeated signups of the user (retries, double submits,
// replays, re-published dead letters) produce nothing. read_committed readers see one
// enrolment per user.
import { Headers } from '../../events/headers.js';
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';
import type { ConsumerService } from '../../kafka/consumer/service.js';
import { continueTrace } from '../../observability/trace-context.js';
import type { AvroEncoder } from '../../registry/avro-encoder.js';
import type { EnrolledUsers } from './enrolled-users.js';
import { enrolmentFor } from './enrolment.js';

export interface OnboardingServiceOptions {
  readonly groupId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly readerSchema: string;
  /** Encoder pinned to the registered UserRegisteredForOnboarding schema. */
  readonly encoder: AvroEncoder<UserRegisteredForOnboarding>;
  readonly enrolledUsers: EnrolledUsers;
}

export function onboardingService(options: OnboardingServiceOptions): ConsumerService<UserSignedUp> {
  return {
    name: 'onboarding',
    groupId: options.groupId,
    topic: options.inputTopic,
    readerSchema: options.readerSchema,
    resetPartitionState: (partitions) => options.enrolledUsers.forget(partitions),
    async handle(signup, { partition, headers, logger }) {
      const enrolled = await options.enrolledUsers.of(partition);
      if (enrolled.has(signup.userId)) {
        logger.info({ userId: signup.userId }, 'user already enrolled; nothing to publish');
        return [];
      }
      const enrolment = enrolmentFor(signup);
      logger.info({ userId: signup.userId, enrolmentId: enrolment.eventId }, 'enrolling user in onboarding');
      // The request id travels on and the trace continues (same trace id, a new span for
      // this hop), so one signup can be followed end to end.
      const passOn: Record<string, string> = { [Headers.traceparent]: continueTrace(headers[Headers.traceparent]) };
      const requestId = headers[Headers.requestId];
      if (requestId) passOn[Headers.requestId] = requestId;
      enrolled.add(signup.userId);
      return [
        {
          topic: options.outputTopic,
          // The input's partition number, not the key's hash: EnrolledUsers relies on it.
          partition,
          key: signup.userId,
          value: options.encoder.encode(enrolment),
          headers: passOn,
        },
      ];
    },
  };
}
