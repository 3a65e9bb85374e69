// pipeToSelf: async work ends in a message to the actor that started it, handled in turn, and a
// full mailbox does not refuse it (it completes work the actor already accepted), while ordinary
// tells to that full mailbox are still refused.
import test from 'ava';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { collectEvents } from '../helpers/events.ts';
import { gate, testSystem } from '../helpers/system.ts';

type Msg =
  | { readonly type: 'start'; readonly work: Promise<number> }
  | { readonly type: 'done'; readonly value: number }
  | { readonly type: 'failed'; readonly why: string }
  | { readonly type: 'other'; readonly n: number };

test('a completion reaches a full mailbox, in the order the work settled; other tells are refused', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  const seen: string[] = [];
  const hold = gate();
  const actor: ActorFactory<Msg> = (ctx) => ({
    async receive(m) {
      switch (m.type) {
        case 'start':
          ctx.pipeToSelf(
            m.work,
            (value): Msg => ({ type: 'done', value }),
            (error): Msg => ({ type: 'failed', why: String(error) }),
          );
          return;
        case 'other':
          // The first one holds the actor busy while its mailbox fills up.
          if (m.n === 0) await hold.promise;
          seen.push(`other ${m.n}`);
          return;
        case 'done':
          seen.push(`done ${m.value}`);
          return;
        case 'failed':
          seen.push(`failed ${m.why}`);
          return;
      }
    },
  });
  const ref = system.spawn(actor, { name: 'piper', mailbox: { capacity: 3, overflow: 'reject' } });
  let settleFirst!: (n: number) => void;
  let failSecond!: (e: Error) => void;
  ref.tell({ type: 'start', work: new Promise<number>((resolve) => (settleFirst = resolve)) });
  ref.tell({ type: 'start', work: new Promise<number>((_, reject) => (failSecond = reject)) });
  await system.settled();
  ref.tell({ type: 'other', n: 0 });
  await new Promise((r) => setImmediate(r));
  for (let n = 1; n <= 4; n++) ref.tell({ type: 'other', n });
  t.is(log.deadLetters('mailbox-full').length, 1, 'the fourth tell found the mailbox full');
  failSecond(new Error('no'));
  settleFirst(7);
  await new Promise((r) => setImmediate(r));
  hold.open();
  await system.settled();
  t.deepEqual(seen, ['other 0', 'other 1', 'other 2', 'other 3', 'failed Error: no', 'done 7']);
  t.is(log.deadLetters('mailbox-full').length, 1, 'no completion was refused');
});

test('a mapping that throws is shown as the actor failing, and the process goes on', async (t) => {
  const { system } = testSystem(t);
  const failures: unknown[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'actor-failed') failures.push(e.error);
  });
  const seen: number[] = [];
  const actor: ActorFactory<{ readonly type: 'start' } | { readonly type: 'done'; readonly value: number }> = (ctx) => ({
    receive(m) {
      if (m.type === 'done') return void seen.push(m.value);
      ctx.pipeToSelf(
        Promise.resolve(1),
        () => {
          throw new Error('a bad mapping');
        },
        () => {
          throw new Error('and a bad one for errors');
        },
      );
      ctx.pipeToSelf(
        Promise.resolve(2),
        (value) => ({ type: 'done', value }),
        () => ({ type: 'done', value: -1 }),
      );
    },
  });
  const ref = system.spawn(actor, { name: 'mapper' });
  ref.tell({ type: 'start' });
  await system.settled();
  await new Promise((r) => setImmediate(r));
  await system.settled();
  t.deepEqual(seen, [2]);
  t.is(failures.length, 1);
  t.regex(String(failures[0]), /a bad mapping/);
});
