// The bodies of /healthz and /readyz, one shape in every process (the API and each
// consumer service), so one probe configuration and one dashboard read them all.
import { Type, type Static } from '@sinclair/typebox';

export const CheckResult = Type.Object({
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
  // A failing check that the process can do without for now: shown, but not a reason to
  // take the instance out of rotation.
  required: Type.Optional(Type.Literal(false)),
});
export type CheckResult = Static<typeof CheckResult>;

export const ReadinessReport = Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), CheckResult) }, { $id: 'ReadinessReport' });
export type ReadinessReport = Static<typeof ReadinessReport>;

export const LivenessReport = Type.Object({ live: Type.Boolean(), checks: Type.Record(Type.String(), CheckResult) });
export type LivenessReport = Static<typeof LivenessReport>;

export type Check = () => Promise<CheckResult>;

/** Runs every check at once; a check that throws fails with its message. Each check bounds its own time. */
export async function checkReadiness(checks: Record<string, Check>): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      try {
        return [name, await check()];
      } catch (error) {
        return [name, { ok: false, detail: (error as Error).message }];
      }
    }),
  );
  return { ready: entries.every(([, result]) => result.ok || result.required === false), checks: Object.fromEntries(entries) };
}
