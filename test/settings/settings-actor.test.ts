import test from 'ava';
import { settingsActor } from '../../src/actors/settings.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import type { SettingsDelta } from '../../src/settings/delta.ts';
import { InMemoryDeltaLog, type SettingsDeltaLog } from '../../src/settings/delta-log.ts';
import type { SetResult, SettingChange, SettingsBroadcast, SettingsMsg, SettingsSnapshot } from '../../src/settings/protocol.ts';
import { gate, testSystem, turns, type TestSystem } from '../helpers/system.ts';

function setup(t: Parameters<typeof testSystem>[0], log: SettingsDeltaLog = new InMemoryDeltaLog()) {
  const ts = testSystem(t, {
    rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE, intensity: { maxRestarts: 100, withinMs: 1_000 } }),
  });
  let wall = 1_000;
  const store = ts.system.spawn<SettingsMsg>(settingsActor({ log, wallClock: () => wall++ }), { name: 'settings' });
  const set = (client: string, changes: SettingChange[]): Promise<SetResult> =>
    ts.system.ask<SettingsMsg, SetResult>(store, (replyTo) => ({ type: 'set', client, changes, replyTo }), 1_000);
  const get = (paths?: string[]): Promise<SettingsSnapshot> =>
    ts.system.ask<SettingsMsg, SettingsSnapshot>(store, (replyTo) => ({ type: 'get', paths, replyTo }), 1_000);
  return { ts, store, set, get };
}

function recorder(ts: TestSystem, name: string) {
  const received: { at: number; deltas: readonly SettingsDelta[] }[] = [];
  const ref: Ref<SettingsBroadcast> = ts.system.spawn<SettingsBroadcast>(
    () => ({ receive: (m) => void received.push({ at: ts.clock.now(), deltas: m.deltas }) }),
    { name },
  );
  return { ref, received };
}

test('a change is durable before it is acknowledged', async (t) => {
  const open = gate();
  const inner = new InMemoryDeltaLog();
  const log: SettingsDeltaLog = {
    load: () => inner.load(),
    append: async (d) => {
      await open.promise;
      await inner.append(d);
    },
  };
  const { set } = setup(t, log);
  let answered = false;
  const reply = set('a', [{ path: 'physics.repulsion', value: 0.2 }]).then((r) => ((answered = true), r));
  await turns(10); // the handler is parked on the log: settled() would wait for it
  t.false(answered);
  t.is((await inner.load()).length, 0);
  open.open();
  const result = await reply;
  t.true(result.ok);
  t.deepEqual(
    (await inner.load()).map((d) => [d.path, d.old, d.new, d.client, d.version]),
    [['physics.repulsion', null, 0.2, 'a', 1]],
  );
});

test('other clients get deltas batched: the first at once, then per 100 ms or per 10 changes; never their own', async (t) => {
  const { ts, store, set } = setup(t);
  const a = recorder(ts, 'client-a');
  const b = recorder(ts, 'client-b');
  store.tell({ type: 'subscribe', subscriber: a.ref, client: 'a' });
  store.tell({ type: 'subscribe', subscriber: b.ref, client: 'b' });
  await ts.system.settled();
  await ts.advance(1_000);

  await set('a', [{ path: 'physics.repulsion', value: 0.1 }]);
  await ts.system.settled();
  t.is(b.received.length, 1, 'leading edge: the first change after a quiet spell goes at once');
  t.is(a.received.length, 0, 'the originating client is answered, not broadcast to');

  for (const value of [0.2, 0.3, 0.4]) await set('a', [{ path: 'physics.repulsion', value }]);
  await ts.system.settled();
  t.is(b.received.length, 1, 'held inside the 100 ms window');
  await ts.advance(100);
  t.is(b.received.length, 2);
  t.deepEqual(
    b.received[1]!.deltas.map((d) => d.new),
    [0.2, 0.3, 0.4],
  );

  // Ten changes inside one window flush without waiting for the timer.
  await set(
    'a',
    Array.from({ length: 10 }, (_, i) => ({ path: 'visualisation.edges.opacity', value: i / 10 })),
  );
  await ts.system.settled();
  t.is(b.received.length, 3);
  t.is(b.received[2]!.deltas.length, 10);
  t.is(a.received.length, 0);
});

test('immediate subscribers get every matching change at once, their own included', async (t) => {
  const { ts, store, set } = setup(t);
  const physics = recorder(ts, 'physics');
  store.tell({ type: 'subscribe', subscriber: physics.ref, client: 'physics', prefix: 'physics.', immediate: true });
  await ts.system.settled();
  for (let i = 0; i < 5; i++)
    await set('a', [
      { path: 'physics.damping', value: 0.5 + i / 100 },
      { path: 'visualisation.edges.opacity', value: 0.5 },
    ]);
  await ts.system.settled();
  t.is(physics.received.length, 5);
  t.true(physics.received.every((r) => r.deltas.length === 1 && r.deltas[0]!.path === 'physics.damping'));
});

test('invalid and conflicting changes are refused with the value that stands; nothing is persisted', async (t) => {
  const log = new InMemoryDeltaLog();
  const { set } = setup(t, log);
  const bad = await set('a', [{ path: 'physics.damping', value: 2 }]);
  t.true(!bad.ok && bad.errors[0]!.code === 'invalid-value' && bad.errors[0]!.current?.value === 0.3);
  const unknown = await set('a', [{ path: 'nope', value: 1 }]);
  t.true(!unknown.ok && unknown.errors[0]!.code === 'unknown-path');
  t.true((await set('a', [{ path: 'physics.damping', value: 0.8 }])).ok);
  const stale = await set('b', [{ path: 'physics.damping', value: 0.7, ifVersion: 0 }]);
  t.true(!stale.ok && stale.errors[0]!.code === 'conflict');
  t.deepEqual(!stale.ok && stale.errors[0]!.current, { value: 0.8, version: 1 });
  const empty = await set('a', []);
  t.false(empty.ok);
  t.is((await log.load()).length, 1);
});

test('after a crash the actor rebuilds the tree from the log before taking messages', async (t) => {
  const { ts, set, get } = setup(t);
  await set('a', [{ path: 'physics.repulsion', value: 0.33 }]);
  await set('b', [{ path: 'visualisation.background', value: '#000000' }]);
  ts.system.faults.kill('/settings');
  await ts.advance(1); // the restart's (zero) backoff
  const snap = await get(['physics.repulsion', 'visualisation.background', 'physics.damping']);
  t.deepEqual(snap, {
    version: 2,
    values: {
      'physics.repulsion': { value: 0.33, version: 1 },
      'visualisation.background': { value: '#000000', version: 2 },
      'physics.damping': { value: 0.3, version: 0 },
    },
  });
  t.is((await get(['physics.'])).values['physics.repulsion']!.value, 0.33);
});

test('a storage failure answers "unavailable", applies nothing, and the actor restarts from the log', async (t) => {
  const inner = new InMemoryDeltaLog();
  let failNext = false;
  const log: SettingsDeltaLog = {
    load: () => inner.load(),
    append: (d) => (failNext ? ((failNext = false), Promise.reject(new Error('disk full'))) : inner.append(d)),
  };
  const { ts, set, get } = setup(t, log);
  await set('a', [{ path: 'physics.repulsion', value: 0.4 }]);
  failNext = true;
  const failed = await set('a', [{ path: 'physics.repulsion', value: 0.9 }]);
  t.true(!failed.ok && failed.errors[0]!.code === 'unavailable');
  await ts.advance(1); // the restart's (zero) backoff
  t.is((await get(['physics.repulsion'])).values['physics.repulsion']!.value, 0.4);
  t.true((await set('a', [{ path: 'physics.repulsion', value: 0.5 }])).ok);
});

test('subscriptions survive a restart of the store; a stopped subscriber is dropped', async (t) => {
  const { ts, store, set } = setup(t);
  const b = recorder(ts, 'client-b');
  const c = recorder(ts, 'client-c');
  store.tell({ type: 'subscribe', subscriber: b.ref, client: 'b' });
  store.tell({ type: 'subscribe', subscriber: c.ref, client: 'c' });
  await ts.system.settled();
  ts.system.faults.kill('/settings');
  await ts.advance(1);
  await ts.system.stop(c.ref);
  await ts.advance(1_000);
  const letters: string[] = [];
  ts.system.events.subscribe((e) => {
    if (e.type === 'dead-letter') letters.push(e.letter.recipient);
  });
  await set('a', [{ path: 'physics.repulsion', value: 0.25 }]);
  await ts.advance(200);
  t.is(b.received.length, 1);
  t.deepEqual(letters, [], 'no broadcast to the stopped subscriber');
});

test('a subscriber that has already stopped when its subscription arrives is dropped at once', async (t) => {
  const { ts, store, set } = setup(t);
  const late = recorder(ts, 'client-late');
  await ts.system.stop(late.ref);
  store.tell({ type: 'subscribe', subscriber: late.ref, client: 'late' });
  await ts.advance(10);
  const letters: string[] = [];
  ts.system.events.subscribe((e) => {
    if (e.type === 'dead-letter') letters.push(e.letter.recipient);
  });
  await set('a', [{ path: 'physics.repulsion', value: 0.3 }]);
  await ts.advance(200);
  t.deepEqual(letters, [], 'nothing is broadcast to it');
});
