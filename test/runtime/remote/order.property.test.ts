// Per-pair order under load, as a property: for any plan of bursts from several sender actors in
// this process to a sink actor in a child process (while the child streams beats back the other
// way), every sender's messages arrive in the order sent, none lost, none twice.
import test from 'ava';
import fc from 'fast-check';
import type { ActorFactory } from '../../../src/runtime/actor.ts';
import type { Beat } from '../../fixtures/remote-worker.ts';
import { startLocal } from './support/local.ts';
import { eventually, FAST_LIMITS, startPeer } from './support/peers.ts';

interface Burst {
  readonly kind: 'burst';
  readonly from: string;
  readonly count: number;
  readonly start: number;
}

test.serial('per sender-recipient pair, messages arrive in the order sent, none lost, under load both ways', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);
  const remoteSink = a.system.resolve<Beat>('vf://node-b/app/sink')!;
  // Sender actors: each burst is told from inside an actor, as actor code would.
  const sender: ActorFactory<Burst> = () => ({
    receive(m) {
      for (let n = m.start; n < m.start + m.count; n++) remoteSink.tell({ kind: 'beat', from: m.from, n });
    },
  });
  const senders = [0, 1, 2, 3].map((i) =>
    a.system.spawn(sender, { name: `sender-${i}`, mailbox: { capacity: 1_000, overflow: 'reject' } }),
  );
  let run = 0;
  let total = 0;

  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ sender: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 3_000 }), yieldAfter: fc.boolean() }), {
        minLength: 1,
        maxLength: 12,
      }),
      fc.integer({ min: 0, max: 5_000 }),
      async (plan, backwards) => {
        run++;
        const sent = new Map<string, number>();
        // The other direction at the same time: the child streams beats to this process's sink.
        const back =
          backwards > 0
            ? b.must({ op: 'beats', target: 'vf://node-a/app/sink', from: `back-${run}`, count: backwards })
            : Promise.resolve({});
        for (const step of plan) {
          const from = `run-${run}-sender-${step.sender}`;
          const start = (sent.get(from) ?? 0) + 1;
          senders[step.sender]!.tell({ kind: 'burst', from, count: step.count, start });
          sent.set(from, start + step.count - 1);
          total += step.count;
          if (step.yieldAfter) await new Promise((resolve) => setImmediate(resolve));
        }
        await back;
        const state = await eventually(
          async () => {
            const s = await b.must<{ counts: Record<string, number>; last: Record<string, number>; outOfOrder: string[] }>({ op: 'sink' });
            return [...sent].every(([from, n]) => s.counts[from] === n) ? s : undefined;
          },
          30_000,
          `run ${run}: every beat at the sink`,
        );
        await eventually(
          () => backwards === 0 || a.sinkState.counts.get(`back-${run}`) === backwards,
          30_000,
          `run ${run}: every beat back`,
        );
        for (const [from, n] of sent) {
          if (state.last[from] !== n || state.counts[from] !== n) return false;
        }
        return (
          state.outOfOrder.length === 0 &&
          a.sinkState.outOfOrder.length === 0 &&
          a.sinkState.last.get(`back-${run}`) === (backwards || undefined)
        );
      },
    ),
    { numRuns: 12, seed: 22, endOnFailure: true },
  );
  t.true(total > 10_000, `${total} beats checked`);
  t.is(a.deadLetters.length, 0);
  t.deepEqual((await b.must<{ letters: unknown[] }>({ op: 'dead-letters' })).letters, []);
});
