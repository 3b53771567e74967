// What every fault test promises about its report, as one assertion.
import { expect } from 'vitest';
import type { FaultReport } from './system.js';

export interface Expected {
  /** The load's request count, when the fault is out of the API's path and every request must get a 201. */
  readonly everyRequestCreated?: number;
  /** Records refused for good, in the tests about them; 0 otherwise. */
  readonly deadLettered?: number;
  /** SMTP deliveries of a message already delivered; unchecked unless given (the documented crash window). */
  readonly smtpRedeliveries?: number;
  /** Client-behaviour loads: every person ends with exactly one user id, email, count, enrolment and tracked user. */
  readonly oneOfEachPerAddress?: boolean;
}

/**
 * Every acknowledged signup's event is on the topic, no effect happened twice (no double
 * count, no second email, no second enrolment), no request hung or failed otherwise than
 * 201/503, no raw address in any log, and nothing dead-lettered unless the test is about
 * records refused for good.
 */
export function expectNothingLostOrDuplicated(report: FaultReport, expected: Expected = {}): void {
  if (expected.everyRequestCreated !== undefined) expect(report.created).toBe(expected.everyRequestCreated);
  if (expected.oneOfEachPerAddress) {
    expect(report.perAddress).toMatchObject({ never201: 0, userIds: 0, welcomeEmails: 0, analyticsUsers: 0, enrolments: 0, trackedUsers: 0 });
  }
  expect(report.timeouts).toBe(0);
  expect(report.otherStatuses).toEqual({});
  expect(report.lost).toBe(0);
  expect(report.doubleCounted).toBe(0);
  expect(report.secondEmails).toBe(0);
  if (expected.smtpRedeliveries !== undefined) expect(report.smtpRedeliveries).toBe(expected.smtpRedeliveries);
  expect(report.duplicateEnrolments).toBe(0);
  expect(report.deadLettered).toBe(expected.deadLettered ?? 0);
  expect(report.rawEmailsInLogs).toBe(0);
}
