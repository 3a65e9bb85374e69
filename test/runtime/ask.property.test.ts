// Asks are never lost and never crossed: 100k concurrent asks answered out of order by several
// actors each get exactly their own reply; correlation ids never repeat.
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/shared/clock.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { ActorSystem } from '../../src/runtime/system.ts';

type Req = { readonly n: number; readonly replyTo: Ref<number> } | { readonly flush: true };

/** Holds requests and answers them in a scrambled order when flushed. */
function scrambler(seed: number) {
  return () => {
    const held: { n: number; replyTo: Ref<number> }[] = [];
    let s = seed;
    return {
      receive(m: Req) {
        if (!('flush' in m)) {
          held.push(m);
          return;
        }
        while (held.length > 0) {
          s = (s * 1103515245 + 12345) >>> 0;
          const [r] = held.splice(s % held.length, 1);
          r!.replyTo.tell(r!.n * 3 + 1);
        }
      },
    };
  };
}

test('100k concurrent asks: 0 lost, 0 crossed', async (t) => {
  const system = new ActorSystem({ name: 'asks' });
  const actors = Array.from({ length: 4 }, (_, i) =>
    system.spawn<Req>(scrambler(i + 1), { name: `s${i}`, mailbox: { capacity: 100_000, overflow: 'reject' } }),
  );
  const total = 100_000;
  const answers: Promise<number>[] = [];
  for (let n = 0; n < total; n++) {
    answers.push(system.ask<Req, number>(actors[n % 4]!, (replyTo) => ({ n, replyTo }), 60_000));
  }
  t.is(system.pendingAskCount, total);
  for (const a of actors) a.tell({ flush: true });
  const results = await Promise.allSettled(answers);
  let lost = 0;
  let crossed = 0;
  results.forEach((r, n) => {
    if (r.status === 'rejected') lost++;
    else if (r.value !== n * 3 + 1) crossed++;
  });
  t.is(lost, 0);
  t.is(crossed, 0);
  t.is(system.pendingAskCount, 0);
  await system.terminate();
});

test('random interleavings of asks, replies, timeouts and late replies never cross', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ delay: fc.integer({ min: 0, max: 200 }), timeout: fc.integer({ min: 1, max: 200 }) }), {
        minLength: 1,
        maxLength: 60,
      }),
      async (plan) => {
        const clock = new VirtualClock();
        const system = new ActorSystem({ name: 'interleave', clock });
        const lateLetters: unknown[] = [];
        system.events.subscribe((e) => {
          if (e.type === 'dead-letter' && e.letter.reason === 'ask-expired') lateLetters.push(e.letter.message);
        });
        // Replies after the delay carried in the request, via a timer of its own.
        const delayed = system.spawn<{ n: number; delay: number; replyTo: Ref<number> }>(
          (ctx) => ({
            receive(m) {
              if (m.delay === 0) m.replyTo.tell(-m.n);
              else ctx.system.clock.setTimer(m.delay, () => m.replyTo.tell(-m.n));
            },
          }),
          { name: 'delayed' },
        );
        const outcomes = plan.map((p, n) =>
          system
            .ask<{ n: number; delay: number; replyTo: Ref<number> }, number>(
              delayed,
              (replyTo) => ({ n, delay: p.delay, replyTo }),
              p.timeout,
            )
            .then(
              (v) => ({ ok: true as const, v }),
              (e: unknown) => ({ ok: false as const, e }),
            ),
        );
        await system.settled();
        for (let i = 0; i <= 200; i += 10) {
          clock.advance(10);
          await system.settled();
        }
        const results = await Promise.all(outcomes);
        await system.terminate();
        // A reply due exactly at the deadline may land on either side of it; anything else may not.
        const timedOut = results.filter((r) => !r.ok).length;
        if (plan.filter((p) => p.delay > p.timeout).length > timedOut || plan.filter((p) => p.delay >= p.timeout).length < timedOut)
          return false;
        const lateReplies = lateLetters.filter((m) => typeof m === 'number').length;
        if (lateReplies !== timedOut || lateLetters.length !== 2 * timedOut) return false;
        return results.every((r, n) => {
          const p = plan[n]!;
          if (p.delay < p.timeout) return r.ok && r.v === -n;
          if (p.delay > p.timeout) return !r.ok && (r.e as Error).name === 'AskTimeoutError';
          return r.ok ? r.v === -n : (r.e as Error).name === 'AskTimeoutError';
        });
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('correlation ids are never reused', async (t) => {
  const system = new ActorSystem({ name: 'ids' });
  const seen = new Set<string>();
  const echo = system.spawn<{ replyTo: Ref<string> }>(() => ({ receive: (m) => m.replyTo.tell(m.replyTo.path) }), { name: 'echo' });
  for (let round = 0; round < 20; round++) {
    const paths = await Promise.all(
      Array.from({ length: 500 }, () => system.ask<{ replyTo: Ref<string> }, string>(echo, (replyTo) => ({ replyTo }), 5_000)),
    );
    for (const p of paths) {
      t.false(seen.has(p));
      seen.add(p);
    }
  }
  t.is(seen.size, 10_000);
  await system.terminate();
});
