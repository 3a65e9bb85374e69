// Per-sender order: whatever the interleaving of senders, sync or async handlers, crashes with
// restarts (stash during backoff) and dispatcher turns, each sender's messages are handled in the
// order that sender sent them, and none is lost except the one each crash consumed.
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/shared/clock.ts';
import { ActorSystem } from '../../src/runtime/system.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';

interface Msg {
  readonly sender: number;
  readonly seq: number;
  readonly crash: boolean;
  readonly async: boolean;
}

const step = fc.record({
  sender: fc.integer({ min: 0, max: 4 }),
  crash: fc.integer({ min: 0, max: 19 }).map((x) => x === 0),
  async: fc.boolean(),
  settle: fc.boolean(),
  advanceMs: fc.constantFrom(0, 0, 0, 5, 50),
});

test('messages from one sender are handled in send order, across crashes and restarts', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 50 }), async (steps, throughput) => {
      const clock = new VirtualClock();
      const system = new ActorSystem({
        name: 'order',
        clock,
        turnBudget: 64,
        rootStrategy: Strategies.oneForOne({
          intensity: { maxRestarts: 1_000, withinMs: 1 },
          backoff: { minMs: 10, maxMs: 40, randomFactor: 0, resetAfterMs: 1e9, stashCapacity: 1_000 },
        }),
      });
      const seen: Msg[] = [];
      const ref = system.spawn<Msg>(
        () => ({
          receive(m) {
            if (m.crash) throw new Error('crash');
            if (!m.async) {
              seen.push(m);
              return;
            }
            return Promise.resolve().then(() => {
              seen.push(m);
            });
          },
        }),
        { name: 'receiver', throughput, mailbox: { capacity: 1_000, overflow: 'reject' } },
      );
      const nextSeq = [0, 0, 0, 0, 0];
      const sent: Msg[] = [];
      for (const s of steps) {
        const m: Msg = { sender: s.sender, seq: nextSeq[s.sender]!++, crash: s.crash, async: s.async };
        sent.push(m);
        ref.tell(m);
        if (s.settle) await system.settled();
        if (s.advanceMs > 0) clock.advance(s.advanceMs);
      }
      for (let i = 0; i < 20; i++) {
        await system.settled();
        clock.advance(50);
      }
      await system.settled();
      await system.terminate();
      for (let sender = 0; sender < 5; sender++) {
        const got = seen.filter((m) => m.sender === sender).map((m) => m.seq);
        const want = sent.filter((m) => m.sender === sender && !m.crash).map((m) => m.seq);
        if (JSON.stringify(got) !== JSON.stringify(want)) return false;
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('actors telling each other keep pairwise order under the dispatcher', async (t) => {
  const system = new ActorSystem({ name: 'pairs', turnBudget: 100 });
  const received = new Map<string, number[]>();
  const sink = system.spawn<{ from: string; n: number }>(
    () => ({
      receive(m) {
        const list = received.get(m.from) ?? [];
        list.push(m.n);
        received.set(m.from, list);
      },
    }),
    { name: 'sink', mailbox: { capacity: 100_000, overflow: 'reject' }, throughput: 7 },
  );
  const senders = Array.from({ length: 8 }, (_, i) =>
    system.spawn<number>(
      (ctx) => ({
        receive(count) {
          for (let n = 0; n < count; n++) sink.tell({ from: ctx.path, n }, ctx.self);
        },
      }),
      { name: `sender-${i}`, throughput: 3 },
    ),
  );
  for (let round = 0; round < 50; round++) for (const s of senders) s.tell(20);
  await system.settled();
  await system.terminate();
  t.is(received.size, 8);
  for (const list of received.values()) {
    t.is(list.length, 1_000);
    t.true(list.every((n, i) => n === i % 20));
  }
});
