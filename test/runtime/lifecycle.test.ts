// Lifecycle hooks in order, a restart builds a fresh instance behind the same ref, a throwing
// preStart is supervised like any failure, and an async preStart holds messages back.
import test from 'ava';
import type { Actor } from '../../src/runtime/actor.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { collectEvents } from '../helpers/events.ts';
import { gate, testSystem } from '../helpers/system.ts';

const immediateRoot = { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) };

test('hooks run in order: preStart, preRestart (old), postRestart (new), postStop', async (t) => {
  const { system, advance } = testSystem(t, immediateRoot);
  const calls: string[] = [];
  let instances = 0;
  const ref = system.spawn<string>(
    (ctx) => {
      const id = instances++;
      return {
        preStart: () => void calls.push(`preStart#${id}@${ctx.incarnation}`),
        preRestart: (e) => void calls.push(`preRestart#${id}:${(e as Error).message}`),
        postRestart: (e) => void calls.push(`postRestart#${id}@${ctx.incarnation}:${(e as Error).message}`),
        postStop: () => void calls.push(`postStop#${id}`),
        receive(m) {
          calls.push(`receive#${id}:${m}`);
          if (m === 'boom') throw new Error('boom');
        },
      };
    },
    { name: 'hooks' },
  );
  ref.tell('a');
  ref.tell('boom');
  await advance(0);
  ref.tell('b');
  await system.settled();
  await system.stop(ref);
  t.deepEqual(calls, [
    'preStart#0@0',
    'receive#0:a',
    'receive#0:boom',
    'preRestart#0:boom',
    'postRestart#1@1:boom',
    'receive#1:b',
    'postStop#1',
  ]);
});

test('without preRestart/postRestart a restart runs postStop then preStart', async (t) => {
  const { system, advance } = testSystem(t, immediateRoot);
  const calls: string[] = [];
  let instances = 0;
  const ref = system.spawn<string>(
    () => {
      const id = instances++;
      return {
        preStart: () => void calls.push(`preStart#${id}`),
        postStop: () => void calls.push(`postStop#${id}`),
        receive() {
          throw new Error('boom');
        },
      };
    },
    { name: 'plain' },
  );
  ref.tell('x');
  await advance(0);
  t.deepEqual(calls, ['preStart#0', 'postStop#0', 'preStart#1']);
});

test('a restart builds a fresh instance from the factory; the ref stays valid', async (t) => {
  const { system, advance } = testSystem(t, immediateRoot);
  const log = collectEvents(system);
  const seen: [number, number][] = [];
  const ref = system.spawn<'inc' | 'fail'>(
    (ctx) => {
      let counter = 0;
      return {
        receive(m) {
          if (m === 'fail') throw new Error('fail');
          counter++;
          seen.push([ctx.incarnation, counter]);
        },
      };
    },
    { name: 'counter' },
  );
  const before = system.lookup('/counter');
  ref.tell('inc');
  ref.tell('inc');
  ref.tell('fail');
  await advance(0);
  ref.tell('inc');
  await system.settled();
  t.deepEqual(seen, [
    [0, 1],
    [0, 2],
    [1, 1],
  ]);
  t.is(system.lookup('/counter'), before, 'the same ref is registered after the restart');
  t.deepEqual(
    log.of('actor-started').map((e) => [e.path, e.incarnation]),
    [
      ['/counter', 0],
      ['/counter', 1],
    ],
  );
  t.is(log.of('actor-restarted').length, 1);
  t.deepEqual(log.deadLetters(), []);
});

test('a preStart that throws is supervised: failure, restart decision, then a working instance', async (t) => {
  const { system, advance } = testSystem(t, immediateRoot);
  const log = collectEvents(system);
  const handled: [number, string][] = [];
  const ref = system.spawn<string>(
    (ctx) => ({
      preStart() {
        if (ctx.incarnation === 0) throw new Error('cannot start');
      },
      receive: (m) => void handled.push([ctx.incarnation, m]),
    }),
    { name: 'fragile' },
  );
  ref.tell('waits in the mailbox');
  await system.settled();
  t.deepEqual(
    log.of('actor-failed').map((e) => [e.path, (e.error as Error).message]),
    [['/fragile', 'cannot start']],
  );
  t.deepEqual(
    log.of('supervisor-decision').map((e) => [e.supervisor, e.child, e.directive]),
    [['/', '/fragile', 'restart']],
  );
  t.deepEqual(handled, []);
  await advance(0);
  t.deepEqual(handled, [[1, 'waits in the mailbox']], 'the message sent before the failure survives the restart');
  t.deepEqual(
    log.of('actor-started').map((e) => e.incarnation),
    [1],
  );
});

test('an async preStart delays messages until it resolves', async (t) => {
  const { system } = testSystem(t);
  const ready = gate();
  const handled: string[] = [];
  let started = false;
  const ref = system.spawn<string>(
    () => ({
      async preStart() {
        await ready.promise;
        started = true;
      },
      receive(m) {
        handled.push(`${m}:${started ? 'after' : 'before'}`);
      },
    }),
    { name: 'slow-start' },
  );
  ref.tell('a');
  ref.tell('b');
  await system.settled();
  t.deepEqual(handled, []);
  ready.open();
  await system.settled();
  t.deepEqual(handled, ['a:after', 'b:after']);
});

test('postStop of every actor in a subtree runs children first', async (t) => {
  const { system } = testSystem(t);
  const stops: string[] = [];
  const node =
    (name: string, kids: string[]): Parameters<typeof system.spawn<never>>[0] =>
    (ctx) =>
      ({
        preStart() {
          for (const k of kids) ctx.spawn(node(k, []), { name: k });
        },
        postStop: () => void stops.push(name),
        receive: () => undefined,
      }) satisfies Actor<never>;
  const ref = system.spawn(node('p', ['c1', 'c2']), { name: 'p' });
  await system.settled();
  await system.stop(ref);
  t.deepEqual(stops, ['c2', 'c1', 'p']);
});

// Regression test for a bug these tests found (fixed in src/runtime).
test('an async handler may await its own ctx.stop() without deadlocking', async (t) => {
  const { system, clock } = testSystem(t);
  const log = collectEvents(system);
  const ref = system.spawn<string>(
    (ctx) => ({
      async receive() {
        await Promise.resolve(); // some async work first, so the handler is running
        await ctx.stop();
      },
    }),
    { name: 'quitter', restart: 'transient' },
  );
  // Release the deadlock (if any) before the system is terminated.
  t.teardown(() => clock.advance(10_000));
  ref.tell('quit');
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  t.deepEqual(log.stopped(), ['/quitter']);
});
