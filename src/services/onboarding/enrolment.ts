// The transformation itself: a signup becomes an onboarding enrolment. Pure.
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import type { UserRegisteredForOnboarding } from '../../events/user-registered-for-onboarding.js';
import type { UserSignedUp } from '../../events/user-signed-up.js';

/** As bytes: given the string, the library parses it again for every id. */
const ENROLMENT_IDS_NAMESPACE = parseUuid('6d2f8a0e-1c4b-4f7e-a3d9-2b5c8e1f0a47');

export const STANDARD_PLAN = {
  name: 'standard',
  steps: ['verify-email', 'complete-profile', 'take-the-tour'],
} as const;

export function enrolmentFor(signup: UserSignedUp): UserRegisteredForOnboarding {
  return {
    // Derived, not random: processing the same signup again yields the same event.
    eventId: uuidv5(`onboarding:${signup.eventId}`, ENROLMENT_IDS_NAMESPACE),
    sourceEventId: signup.eventId,
    userId: signup.userId,
    username: signup.username,
    locale: signup.locale,
    plan: STANDARD_PLAN.name,
    steps: [...STANDARD_PLAN.steps],
    registeredAt: signup.occurredAt,
  };
}
