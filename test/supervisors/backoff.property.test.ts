// Under the virtual clock, any sequence of crashes restarts the actor exactly when the backoff
// schedule says: delay(n) = min(max, min * 2^(n-1)) * (1 + randomFactor * r), n reset to 1 after a
// stable period, and messages sent during the backoff are delivered after the restart, in order.
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/shared/clock.ts';
import type { RuntimeEvent } from '../../src/runtime/events.ts';
import { ActorSystem } from '../../src/runtime/system.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';

type Msg = { kind: 'crash' } | { kind: 'value'; n: number };

const backoffArb = fc
  .record({
    minMs: fc.integer({ min: 1, max: 2_000 }),
    spread: fc.integer({ min: 0, max: 64 }),
    randomFactor: fc.double({ min: 0, max: 1, noNaN: true }),
    resetAfterMs: fc.integer({ min: 1, max: 200_000 }),
  })
  .map(({ minMs, spread, randomFactor, resetAfterMs }) => ({
    minMs,
    maxMs: minMs * (spread + 1),
    randomFactor,
    resetAfterMs,
    stashCapacity: 1_000,
  }));

test('restart delays follow the backoff schedule for any crash sequence', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      backoffArb,
      fc.double({ min: 0, max: 0.999, noNaN: true }),
      // Time the actor runs between its restart and its next crash.
      fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 12 }),
      async (backoff, r, runTimes) => {
        const clock = new VirtualClock();
        const system = new ActorSystem({
          name: 'backoff',
          clock,
          random: () => r,
          rootStrategy: Strategies.oneForOne({ intensity: { maxRestarts: 1_000, withinMs: 1 }, backoff }),
        });
        const events: RuntimeEvent[] = [];
        system.events.subscribe((e) => events.push(e));
        const handled: number[] = [];
        const ref = system.spawn<Msg>(
          () => ({
            receive(m) {
              if (m.kind === 'crash') throw new Error('crash');
              handled.push(m.n);
            },
          }),
          { name: 'worker' },
        );
        await system.settled();

        let attempt = 0;
        let lastStart = clock.now();
        let sent = 0;
        for (const runTime of runTimes) {
          clock.advance(runTime);
          const crashAt = clock.now();
          attempt = crashAt - lastStart >= backoff.resetAfterMs ? 1 : attempt + 1;
          const expected = Math.min(backoff.maxMs, backoff.minMs * 2 ** (attempt - 1)) * (1 + backoff.randomFactor * r);
          ref.tell({ kind: 'crash' });
          await system.settled();

          const scheduled = events.filter((e) => e.type === 'restart-scheduled').at(-1);
          if (scheduled?.type !== 'restart-scheduled') return false;
          if (scheduled.attempt !== attempt || Math.abs(scheduled.delayMs - expected) > 1e-9) return false;

          // Messages sent during the backoff wait in the stash, in order.
          const before = handled.length;
          ref.tell({ kind: 'value', n: sent++ });
          ref.tell({ kind: 'value', n: sent++ });
          const due = crashAt + expected;
          if (due - clock.now() > 1e-6) {
            clock.advanceTo(due - 1e-6);
            await system.settled();
            if (handled.length !== before) return false; // handled before the restart
          }
          clock.advanceTo(due);
          await system.settled();
          const restarted = events.filter((e) => e.type === 'actor-restarted').at(-1);
          if (restarted?.type !== 'actor-restarted' || Math.abs(restarted.time - due) > 1e-6) return false;
          if (handled.length !== before + 2) return false;
          lastStart = restarted.time;
        }
        await system.terminate();
        return handled.every((n, i) => n === i);
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('the cap holds for very long crash loops (no overflow to Infinity)', async (t) => {
  const clock = new VirtualClock();
  const backoff = { minMs: 10, maxMs: 5_000, randomFactor: 0, resetAfterMs: 1e12, stashCapacity: 10 };
  const system = new ActorSystem({
    name: 'cap',
    clock,
    rootStrategy: Strategies.oneForOne({ intensity: { maxRestarts: 10_000, withinMs: 1 }, backoff }),
  });
  const delays: number[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'restart-scheduled') delays.push(e.delayMs);
  });
  const ref = system.spawn<Msg>(
    () => ({
      receive: () => {
        throw new Error('always');
      },
    }),
    { name: 'loop' },
  );
  for (let i = 0; i < 1_100; i++) {
    ref.tell({ kind: 'crash' });
    await system.settled();
    clock.advance(5_000);
    await system.settled();
  }
  t.is(delays.length, 1_100);
  t.deepEqual(delays.slice(0, 4), [10, 20, 40, 80]);
  t.true(delays.slice(9).every((d) => d === 5_000));
  await system.terminate();
});
