import { describe, expect, it } from 'vitest';
import { ProgressWatch } from '../../src/kafka/consumer/progress.js';

function watchWith(state: { now: number; backingOff: boolean; lag: bigint | Error; lagAsked: number }) {
  return new ProgressWatch({
    stallAfterMs: 60_000,
    now: () => state.now,
    backingOff: () => state.backingOff,
    lag: async () => {
      state.lagAsked++;
      if (state.lag instanceof Error) throw state.lag;
      return state.lag;
    },
  });
}

describe('ProgressWatch', () => {
  it('is stalled by a handler call under way for the whole stall time, whatever the others do', async () => {
    const state = { now: 0, backingOff: false, lag: 0n as bigint | Error, lagAsked: 0 };
    const watch = watchWith(state);
    let release: () => void = () => undefined;
    const stuck = watch.track(
      () => new Promise<void>((resolve) => (release = resolve)),
      () => 'signups/3 offset 17',
    );
    const call = stuck(undefined);
    const quick = watch.track(async () => undefined, () => 'signups/1 offset 5');
    state.now = 61_000;
    await quick(undefined); // another partition's progress does not hide it
    expect(await watch.evaluate()).toEqual({ ok: false, detail: 'stalled: the handler call on signups/3 offset 17 has been running for 61 s (stall timeout 60 s)' });
    release();
    await call;
    expect(await watch.evaluate()).toMatchObject({ ok: true });
  });

  it('is stalled only with records waiting, no back-off and no progress for the whole stall time', async () => {
    const state = { now: 0, backingOff: false, lag: 5n as bigint | Error, lagAsked: 0 };
    const watch = watchWith(state);
    state.now = 59_000;
    expect(await watch.evaluate()).toMatchObject({ ok: true });
    expect(state.lagAsked).toBe(0); // not asked while progress is recent

    state.now = 61_000;
    expect(await watch.evaluate()).toEqual({ ok: false, detail: 'stalled: 5 record(s) waiting and no progress for 61 s (stall timeout 60 s)' });
    expect(watch.status().ok).toBe(false);

    state.backingOff = true;
    expect(await watch.evaluate()).toMatchObject({ ok: true, detail: expect.stringMatching(/^backing off/) });
    state.backingOff = false;

    state.lag = 0n;
    expect(await watch.evaluate()).toMatchObject({ ok: true, detail: expect.stringMatching(/^idle: nothing to read/) });

    state.lag = new Error('broker down');
    expect(await watch.evaluate()).toMatchObject({ ok: true, detail: expect.stringContaining('lag unknown: broker down') });
  });

  it('counts every return of a tracked handler as progress, a throw too', async () => {
    const state = { now: 0, backingOff: false, lag: 1n as bigint | Error, lagAsked: 0 };
    const watch = watchWith(state);
    state.now = 100_000;
    const failing = watch.track(
      async () => {
        throw new Error('retry later');
      },
      () => 't/0',
    );
    await expect(failing(undefined)).rejects.toThrow('retry later');
    expect(watch.sinceLastProgressMs()).toBe(0);
    expect(await watch.evaluate()).toMatchObject({ ok: true });
  });
});
