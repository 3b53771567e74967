// The UserRegisteredForOnboarding contract as the TypeScript code sees it; the source of
// truth is schemas/UserRegisteredForOnboarding/.

export const USER_REGISTERED_FOR_ONBOARDING = 'UserRegisteredForOnboarding';

export interface UserRegisteredForOnboarding {
  readonly eventId: string;
  readonly sourceEventId: string;
  readonly userId: string;
  readonly username: string;
  readonly locale: string | null;
  readonly plan: string;
  readonly steps: readonly string[];
  readonly registeredAt: Date;
}
