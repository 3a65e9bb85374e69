// Restart intensity: a supervisor allows at most R restarts in any window of T ms. The restart that
// would exceed it makes the supervisor fail instead, and its own parent decides (here: restart it,
// which gives it a fresh restart history, as OTP does).
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/shared/clock.ts';
import { RestartIntensityExceeded } from '../../src/runtime/errors.ts';
import type { RuntimeEvent } from '../../src/runtime/events.ts';
import { ActorSystem } from '../../src/runtime/system.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { childSpec } from '../../src/supervisors/child-spec.ts';
import { RestartHistory } from '../../src/runtime/restart-intensity.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { supervisor } from '../../src/supervisors/supervisor.ts';

/** The reference model: restart times within (now - T, now], this one included, must be <= R. */
function firstExceeding(times: readonly number[], maxRestarts: number, withinMs: number): number {
  for (let i = 0; i < times.length; i++) {
    const inWindow = times.slice(0, i + 1).filter((x) => x > times[i]! - withinMs).length;
    if (inWindow > maxRestarts) return i;
  }
  return -1;
}

test('RestartHistory agrees with the sliding-window model', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 1, max: 1_000 }),
      fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 40 }),
      (maxRestarts, withinMs, gaps) => {
        const times = gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []);
        const history = new RestartHistory({ maxRestarts, withinMs });
        const firstRefused = times.findIndex((time) => !history.record(time));
        return firstRefused === firstExceeding(times, maxRestarts, withinMs);
      },
    ),
    { numRuns: 2_000 },
  );
  t.pass();
});

test('exceeding the intensity escalates: the supervisor fails and its parent restarts it', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 1, max: 5_000 }),
      fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 25 }),
      async (maxRestarts, withinMs, gaps) => {
        const clock = new VirtualClock();
        const system = new ActorSystem({
          name: 'intensity',
          clock,
          rootStrategy: Strategies.oneForOne({ intensity: { maxRestarts: 1_000, withinMs: 1 }, backoff: IMMEDIATE }),
        });
        const events: RuntimeEvent[] = [];
        system.events.subscribe((e) => events.push(e));
        const worker = childSpec<string>(
          () => ({
            receive: () => {
              throw new Error('crash');
            },
          }),
          { name: 'worker' },
        );
        system.spawn(supervisor([worker]), {
          name: 'sup',
          supervision: Strategies.oneForOne({ intensity: { maxRestarts, withinMs }, backoff: IMMEDIATE }),
        });
        await system.settled();

        const crashTimes: number[] = [];
        for (const gap of gaps) {
          clock.advance(gap);
          crashTimes.push(clock.now());
          system.tellPath('/sup/worker', 'crash');
          await system.settled();
          clock.advance(0); // fire zero-delay restart timers
          await system.settled();
        }
        const expectedAt = firstExceeding(crashTimes, maxRestarts, withinMs);
        const exceeded = events.filter((e) => e.type === 'restart-intensity-exceeded');
        if (expectedAt < 0) {
          await system.terminate();
          return exceeded.length === 0;
        }
        const first = exceeded[0];
        if (first?.type !== 'restart-intensity-exceeded' || first.supervisor !== '/sup' || first.time !== crashTimes[expectedAt])
          return false;
        const supFailed = events.find((e) => e.type === 'actor-failed' && e.path === '/sup');
        const rootDecision = events.find((e) => e.type === 'supervisor-decision' && e.supervisor === '/' && e.child === '/sup');
        const ok =
          supFailed?.type === 'actor-failed' &&
          supFailed.error instanceof RestartIntensityExceeded &&
          rootDecision?.type === 'supervisor-decision' &&
          rootDecision.directive === 'restart' &&
          system.lookup('/sup/worker') !== undefined; // recreated with the supervisor
        await system.terminate();
        return ok;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('a failure that escalates to the root stops the whole tree and reports failure', async (t) => {
  const clock = new VirtualClock();
  const system = new ActorSystem({
    name: 'root-fail',
    clock,
    rootStrategy: Strategies.oneForOne({ intensity: { maxRestarts: 0, withinMs: 1_000 }, backoff: IMMEDIATE }),
  });
  const stopped: string[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'actor-stopped') stopped.push(e.path);
  });
  const bomb = childSpec<string>(
    () => ({
      receive: () => {
        throw new Error('boom');
      },
    }),
    { name: 'bomb' },
  );
  const quiet = childSpec<string>(() => ({ receive: () => undefined }), { name: 'quiet' });
  system.spawn(supervisor([quiet, bomb]), {
    name: 'sup',
    supervision: Strategies.oneForOne({ intensity: { maxRestarts: 0, withinMs: 1_000 } }),
  });
  system.spawn(() => ({ receive: () => undefined }), { name: 'later' });
  await system.settled();
  system.tellPath('/sup/bomb', 'go');
  const termination = await system.whenTerminated;
  t.true(termination.failed);
  t.true(termination.error instanceof RestartIntensityExceeded);
  // Reverse start order, children before parents; the root last.
  t.deepEqual(stopped, ['/later', '/sup/bomb', '/sup/quiet', '/sup', '/']);
});
