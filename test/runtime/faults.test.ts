// Fault injection through system.faults, on the real message path: each fault shows as a
// 'fault-injected' event and is supervised like the actor's own failure.
import test, { type ExecutionContext } from 'ava';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { ActorKilledError, InjectedFault } from '../../src/runtime/errors.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { collectEvents } from '../helpers/events.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { testSystem, turns } from '../helpers/system.ts';

const lenientRoot = { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE, intensity: { maxRestarts: 10_000, withinMs: 1_000 } }) };

function recorder(handled: number[]): ActorFactory<number> {
  return () => ({ receive: (n) => void handled.push(n) });
}

/** Drains and fires due restarts until nothing is left to do. */
async function runToQuiet(ts: ReturnType<typeof testSystem>): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    await ts.system.settled();
    if (ts.clock.nextDue() === undefined) return;
    ts.clock.advance(0);
  }
}

test('throw on the next N messages: each is an injected failure that is supervised', async (t) => {
  const ts = testSystem(t, lenientRoot);
  const { system } = ts;
  const log = collectEvents(system);
  const handled: number[] = [];
  const ref = system.spawn(recorder(handled), { name: 'victim' });
  system.faults.inject('/victim', { kind: 'throw', times: 2 });
  t.is(system.faults.describe('/victim'), 'throw on the next 2 message(s)');
  for (let i = 1; i <= 4; i++) ref.tell(i);
  await runToQuiet(ts);
  t.deepEqual(handled, [3, 4], 'the two faulted messages are lost, the rest handled');
  t.deepEqual(
    log.of('fault-injected').map((e) => [e.path, e.fault]),
    [
      ['/victim', 'throw on the next 2 message(s)'],
      ['/victim', 'throw on the next 2 message(s)'],
    ],
  );
  const failures = log.of('actor-failed');
  t.is(failures.length, 2);
  t.true(failures.every((f) => f.error instanceof InjectedFault && f.path === '/victim'));
  t.deepEqual(
    log.of('supervisor-decision').map((e) => e.directive),
    ['restart', 'restart'],
  );
  t.is(log.of('actor-restarted').length, 2);
  t.is(system.faults.describe('/victim'), undefined, 'exhausted');
});

/** Runs `count` messages through an actor with a throw-randomly fault; returns the faulted ones. */
async function randomRun(t: ExecutionContext, seed: number, probability: number, count: number) {
  const ts = testSystem(t, { ...lenientRoot, seed });
  const log = collectEvents(ts.system);
  const handled: number[] = [];
  const ref = ts.system.spawn(recorder(handled), { name: 'dice' });
  ts.system.faults.inject('/dice', { kind: 'throw-randomly', probability });
  for (let i = 0; i < count; i++) ref.tell(i);
  await runToQuiet(ts);
  const faulted = [...Array(count).keys()].filter((i) => !handled.includes(i));
  return { faulted, handled, log };
}

test('throw with probability p, seeded: exactly the messages the seeded random picks', async (t) => {
  const seed = 42;
  const p = 0.3;
  const count = 200;
  const { faulted, handled, log } = await randomRun(t, seed, p, count);
  // The model: one draw per message decides the fault; each fault then draws once more for the
  // restart's backoff jitter.
  const random = mulberry32(seed);
  const expected: number[] = [];
  for (let i = 0; i < count; i++) {
    if (random() < p) {
      expected.push(i);
      random();
    }
  }
  t.deepEqual(faulted, expected);
  t.true(expected.length > 40 && expected.length < 80, `${expected.length} faults of ${count}`);
  t.is(log.of('fault-injected').length, expected.length);
  t.is(log.of('actor-restarted').length, expected.length);
  t.deepEqual(
    handled,
    [...Array(count).keys()].filter((i) => !expected.includes(i)),
    'the rest in order',
  );
});

test('throw with probability p: the same seed replays the same faults; p = 0 and p = 1 are exact', async (t) => {
  const a = await randomRun(t, 7, 0.5, 60);
  const b = await randomRun(t, 7, 0.5, 60);
  t.deepEqual(a.faulted, b.faulted);
  t.deepEqual((await randomRun(t, 7, 0, 30)).faulted, []);
  t.deepEqual((await randomRun(t, 7, 1, 30)).faulted, [...Array(30).keys()]);
});

test('stall: the message is handled only after the virtual clock passes the stall', async (t) => {
  const { system, clock } = testSystem(t);
  const log = collectEvents(system);
  const handled: number[] = [];
  const ref = system.spawn(recorder(handled), { name: 'sleepy' });
  system.faults.inject('/sleepy', { kind: 'stall', durationMs: 500, times: 1 });
  ref.tell(1);
  ref.tell(2);
  // settled() would wait for the stalled handler, which only the clock can release.
  await turns(5);
  t.deepEqual(handled, []);
  t.deepEqual(
    log.of('fault-injected').map((e) => e.fault),
    ['stall 500 ms on the next 1 message(s)'],
  );
  clock.advance(499);
  await turns(5);
  t.deepEqual(handled, []);
  clock.advance(1);
  await system.settled();
  t.deepEqual(handled, [1, 2]);
  t.deepEqual(log.of('actor-failed'), []);
});

test('kill: fails the actor now; it is restarted; unknown paths report false', async (t) => {
  const ts = testSystem(t, lenientRoot);
  const { system } = ts;
  const log = collectEvents(system);
  const handled: number[] = [];
  const ref = system.spawn(recorder(handled), { name: 'target' });
  await system.settled();
  t.true(system.faults.kill('/target'));
  t.false(system.faults.kill('/nobody'));
  await runToQuiet(ts);
  t.deepEqual(
    log.of('fault-injected').map((e) => [e.path, e.fault]),
    [['/target', 'kill']],
  );
  const [failed] = log.of('actor-failed');
  t.true(failed?.error instanceof ActorKilledError);
  t.deepEqual(
    log.of('supervisor-decision').map((e) => [e.child, e.directive]),
    [['/target', 'restart']],
  );
  t.deepEqual(
    log.of('actor-restarted').map((e) => e.path),
    ['/target'],
  );
  ref.tell(9);
  await system.settled();
  t.deepEqual(handled, [9]);
});

test('a fault injected before the actor exists waits for it to be spawned', async (t) => {
  const ts = testSystem(t, lenientRoot);
  const { system } = ts;
  const log = collectEvents(system);
  system.faults.inject('/later', { kind: 'throw', times: 1 });
  t.is(system.faults.describe('/later'), 'throw on the next 1 message(s)');
  const handled: number[] = [];
  const ref = system.spawn(recorder(handled), { name: 'later' });
  ref.tell(1);
  ref.tell(2);
  await runToQuiet(ts);
  t.deepEqual(handled, [2]);
  t.deepEqual(
    log.of('fault-injected').map((e) => e.path),
    ['/later'],
  );
  t.deepEqual(
    log.of('supervisor-decision').map((e) => e.directive),
    ['restart'],
  );
});

test('clear removes an armed fault', async (t) => {
  const ts = testSystem(t, lenientRoot);
  const handled: number[] = [];
  const ref = ts.system.spawn(recorder(handled), { name: 'x' });
  ts.system.faults.inject('/x', { kind: 'throw', times: 3 });
  ts.system.faults.clear('/x');
  ref.tell(1);
  await runToQuiet(ts);
  t.deepEqual(handled, [1]);
});

test('invalid faults are refused', (t) => {
  const { system } = testSystem(t);
  t.throws(() => system.faults.inject('/x', { kind: 'throw', times: 0 }), { instanceOf: RangeError });
  t.throws(() => system.faults.inject('/x', { kind: 'throw-randomly', probability: 1.5 }), { instanceOf: RangeError });
  t.throws(() => system.faults.inject('/x', { kind: 'stall', durationMs: -1, times: 1 }), { instanceOf: RangeError });
});

// Found while writing this test: the discarded instance used to receive the stalled message
// (cell.ts receiveWithFault did not check the epoch after the stall); fixed in the working tree.
test('a message stalled across a restart is not handled by the discarded instance', async (t) => {
  const ts = testSystem(t, lenientRoot);
  const { system, clock } = ts;
  const calls: string[] = [];
  let instances = 0;
  system
    .spawn<number>(
      () => {
        const id = instances++;
        return {
          preRestart: () => void calls.push(`preRestart#${id}`),
          receive: (n) => void calls.push(`receive#${id}:${n}`),
        };
      },
      { name: 'stalled' },
    )
    .tell(1);
  await system.settled();
  system.faults.inject('/stalled', { kind: 'stall', durationMs: 100, times: 1 });
  system.lookup<number>('/stalled')!.tell(2);
  await turns(5);
  system.faults.kill('/stalled');
  await turns(5);
  clock.advance(0);
  await turns(5);
  clock.advance(100);
  await runToQuiet(ts);
  t.deepEqual(calls.slice(0, 2), ['receive#0:1', 'preRestart#0']);
  t.false(calls.includes('receive#0:2'), `calls: ${calls.join(', ')}`);
});
