// Each strategy restarts exactly the right children: one-for-one the failed one, one-for-all every
// sibling, rest-for-one the failed one and those started after it. Restarted children come back
// with fresh state from their factory (torn down in reverse start order, recreated in start order);
// the others keep theirs.
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/shared/clock.ts';
import { ActorSystem } from '../../src/runtime/system.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { childSpec } from '../../src/supervisors/child-spec.ts';
import { Strategies, type StrategyKind } from '../../src/supervisors/strategy.ts';
import { supervisor } from '../../src/supervisors/supervisor.ts';

type Msg = { kind: 'bump' } | { kind: 'crash' } | { kind: 'count'; replyTo: Ref<number> };

function expectedRestarted(kind: StrategyKind, n: number, failed: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (kind === 'one-for-one') return [failed];
  if (kind === 'one-for-all') return all;
  return all.filter((i) => i >= failed);
}

test('each strategy restarts exactly the right children, with fresh state', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<StrategyKind>('one-for-one', 'one-for-all', 'rest-for-one'),
      fc.integer({ min: 1, max: 7 }),
      fc.nat(),
      fc.integer({ min: 0, max: 500 }),
      async (kind, n, failedSeed, delayMs) => {
        const failed = failedSeed % n;
        const clock = new VirtualClock();
        const system = new ActorSystem({ name: 'strategies', clock });
        const hooks: string[] = [];
        const children = Array.from({ length: n }, (_, i) =>
          childSpec<Msg>(
            (ctx) => {
              let bumps = 0; // per-instance state: a restart must reset it
              return {
                preStart: () => void hooks.push(`start ${i}#${ctx.incarnation}`),
                preRestart: () => void hooks.push(`teardown ${i}`),
                receive(m) {
                  if (m.kind === 'crash') throw new Error(`child ${i} crashed`);
                  if (m.kind === 'bump') bumps++;
                  else m.replyTo.tell(bumps);
                },
              };
            },
            { name: `c${i}` },
          ),
        );
        const strategy = {
          intensity: { maxRestarts: 100, withinMs: 1_000 },
          backoff: { minMs: delayMs, maxMs: delayMs, randomFactor: 0, resetAfterMs: 1e9, stashCapacity: 100 },
        };
        const make = kind === 'one-for-one' ? Strategies.oneForOne : kind === 'one-for-all' ? Strategies.oneForAll : Strategies.restForOne;
        system.spawn(supervisor(children), { name: 'sup', supervision: make(strategy) });
        await system.settled();
        for (let i = 0; i < n; i++) system.tellPath(`/sup/c${i}`, { kind: 'bump' });
        await system.settled();
        hooks.length = 0;

        system.tellPath(`/sup/c${failed}`, { kind: 'crash' });
        await system.settled();
        clock.advance(delayMs);
        await system.settled();

        const restarted = expectedRestarted(kind, n, failed);
        const counts = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            system.ask<Msg, number>(system.lookup<Msg>(`/sup/c${i}`)!, (replyTo) => ({ kind: 'count', replyTo }), 1_000),
          ),
        );
        await system.terminate();
        const freshOk = counts.every((c, i) => c === (restarted.includes(i) ? 0 : 1));
        const teardownOrder = [...restarted].reverse().map((i) => `teardown ${i}`);
        const startOrder = restarted.map((i) => `start ${i}#1`);
        const hooksOk = JSON.stringify(hooks) === JSON.stringify([...teardownOrder, ...startOrder]);
        return freshOk && hooksOk;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
