// Death watch, ctx timers (cancelled by stop and by restart) and ordered shutdown of the tree.
import test from 'ava';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { collectEvents } from '../helpers/events.ts';
import { testSystem } from '../helpers/system.ts';

type WatcherMsg = { readonly watch: Ref<unknown> } | { readonly unwatch: Ref<unknown> } | { readonly died: string };

function watcher(notes: string[]): ActorFactory<WatcherMsg> {
  return (ctx) => ({
    receive(m) {
      if ('watch' in m) ctx.watch(m.watch, { died: m.watch.path });
      else if ('unwatch' in m) ctx.unwatch(m.unwatch);
      else notes.push(`${m.died} from ${ctx.sender?.path ?? '?'}`);
    },
  });
}

const idle: ActorFactory<string> = () => ({ receive: () => undefined });

test('death watch: the watcher hears when the target stops', async (t) => {
  const { system } = testSystem(t);
  const notes: string[] = [];
  const w = system.spawn(watcher(notes), { name: 'w' });
  const target = system.spawn(idle, { name: 'target' });
  w.tell({ watch: target });
  await system.settled();
  t.deepEqual(notes, []);
  await system.stop(target);
  await system.settled();
  t.deepEqual(notes, ['/target from /target']);
});

test('death watch: a restart is not a death', async (t) => {
  const { system, advance } = testSystem(t, { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) });
  const notes: string[] = [];
  const w = system.spawn(watcher(notes), { name: 'w' });
  const target = system.spawn<string>(
    () => ({
      receive() {
        throw new Error('x');
      },
    }),
    { name: 'target' },
  );
  w.tell({ watch: target });
  await system.settled();
  target.tell('fail');
  await advance(0);
  t.deepEqual(notes, []);
  await system.stop(target);
  await system.settled();
  t.deepEqual(notes, ['/target from /target']);
});

test('death watch: unwatch means no notification', async (t) => {
  const { system } = testSystem(t);
  const notes: string[] = [];
  const w = system.spawn(watcher(notes), { name: 'w' });
  const target = system.spawn(idle, { name: 'target' });
  w.tell({ watch: target });
  w.tell({ unwatch: target });
  await system.settled();
  await system.stop(target);
  await system.settled();
  t.deepEqual(notes, []);
});

test('death watch: watching an already stopped actor notifies at once', async (t) => {
  const { system } = testSystem(t);
  const notes: string[] = [];
  const w = system.spawn(watcher(notes), { name: 'w' });
  const target = system.spawn(idle, { name: 'target' });
  await system.settled();
  await system.stop(target);
  w.tell({ watch: target });
  await system.settled();
  t.deepEqual(notes, ['/target from /target']);
});

test('death watch: a stopped watcher is forgotten and gets no dead letter', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  const notes: string[] = [];
  const w = system.spawn(watcher(notes), { name: 'w' });
  const target = system.spawn(idle, { name: 'target' });
  w.tell({ watch: target });
  await system.settled();
  await system.stop(w);
  await system.stop(target);
  await system.settled();
  t.deepEqual(notes, []);
  t.deepEqual(log.deadLetters(), []);
});

type TickMsg = 'once' | 'tick' | 'fail' | 'stop-periodic';

function ticker(received: string[]): ActorFactory<TickMsg> {
  return (ctx) => ({
    preStart() {
      if (ctx.incarnation > 0) return;
      ctx.scheduleOnce(100, 'once');
      ctx.schedulePeriodic('tick', 30, 'tick');
    },
    receive(m) {
      if (m === 'fail') throw new Error('fail');
      if (m === 'stop-periodic') ctx.cancelTimer('tick');
      else received.push(`${m}@${ctx.system.clock.now()}#${ctx.incarnation}`);
    },
  });
}

test('timers fire on the virtual clock: scheduleOnce once, schedulePeriodic every interval', async (t) => {
  const { system, clock, advance } = testSystem(t);
  const received: string[] = [];
  const ref = system.spawn(ticker(received), { name: 'ticker' });
  // Step in 10 ms so each message is handled at the time it fell due.
  for (let i = 0; i < 9; i++) await advance(10);
  t.deepEqual(received, ['tick@30#0', 'tick@60#0', 'tick@90#0']);
  await advance(10);
  t.deepEqual(received.slice(3), ['once@100#0']);
  ref.tell('stop-periodic');
  await advance(1_000);
  t.is(received.length, 4, 'cancelTimer stops the periodic timer');
  t.is(clock.pendingTimers(), 0);
});

test('timers are cancelled when the actor stops', async (t) => {
  const { system, clock, advance } = testSystem(t);
  const log = collectEvents(system);
  const received: string[] = [];
  const ref = system.spawn(ticker(received), { name: 'ticker' });
  await advance(30);
  await advance(10);
  await system.stop(ref);
  t.is(clock.pendingTimers(), 0, 'cancelled by the stop itself');
  await advance(1_000);
  t.deepEqual(received, ['tick@30#0']);
  t.is(clock.pendingTimers(), 0);
  t.deepEqual(log.deadLetters(), [], 'no timer message reached the stopped actor');
});

test('timers are cancelled when the actor restarts', async (t) => {
  const { system, clock, advance } = testSystem(t, { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) });
  const received: string[] = [];
  const ref = system.spawn(ticker(received), { name: 'ticker' });
  await advance(30);
  await advance(10);
  ref.tell('fail');
  await advance(0);
  t.true(system.lookup('/ticker') !== undefined);
  t.is(clock.pendingTimers(), 0, 'cancelled by the restart itself');
  await advance(1_000);
  t.deepEqual(received, ['tick@30#0'], 'the old incarnation timers never reach the new one');
  t.is(clock.pendingTimers(), 0);
});

test('terminate stops children before parents, in reverse start order, down a 3-level tree', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  const tree =
    (kids: Record<string, Record<string, object>>): ActorFactory<never> =>
    (ctx) => ({
      preStart() {
        for (const [name, grandKids] of Object.entries(kids))
          ctx.spawn(tree(grandKids as Record<string, Record<string, object>>), { name });
      },
      receive: () => undefined,
    });
  system.spawn(tree({ a1: { x: {}, y: {} }, a2: { z: {} } }), { name: 'a' });
  system.spawn(tree({ b1: {} }), { name: 'b' });
  await system.settled();
  t.deepEqual(system.tree('/'), ['/', '/a', '/a/a1', '/a/a1/x', '/a/a1/y', '/a/a2', '/a/a2/z', '/b', '/b/b1']);
  const termination = await system.terminate();
  t.deepEqual(termination, { failed: false, error: undefined });
  t.deepEqual(log.stopped(), ['/b/b1', '/b', '/a/a2/z', '/a/a2', '/a/a1/y', '/a/a1/x', '/a/a1', '/a', '/']);
  t.true(log.of('actor-stopped').every((e) => e.reason === 'shutdown'));
  t.deepEqual(log.events.at(-1)?.type, 'system-terminated');
  t.deepEqual(system.tree('/'), []);
});
