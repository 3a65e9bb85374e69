// One message at a time per actor even with async handlers, no starvation of the event loop by a
// busy actor, and fairness between actors sharing the dispatcher.
import test from 'ava';
import type { Ref } from '../../src/runtime/ref.ts';
import { HIGH_SHARE } from '../../src/runtime/dispatcher.ts';
import { testSystem, turns } from '../helpers/system.ts';

test('async handlers never interleave: one message at a time, in order', async (t) => {
  const { system } = testSystem(t);
  let running = 0;
  let maxRunning = 0;
  const handled: number[] = [];
  const ref = system.spawn<number>(
    () => ({
      async receive(n) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Yield in different ways so a second delivery would have every chance to slip in.
        if (n % 3 === 0) await Promise.resolve();
        else if (n % 3 === 1) await new Promise<void>((resolve) => setImmediate(resolve));
        else await new Promise<void>((resolve) => setTimeout(resolve, 0));
        handled.push(n);
        running--;
      },
    }),
    { name: 'serial', throughput: 5 },
  );
  for (let i = 0; i < 200; i++) ref.tell(i);
  await system.settled();
  t.is(maxRunning, 1);
  t.deepEqual(handled, [...Array(200).keys()]);
});

test('a mix of sync and async handling keeps one at a time across senders', async (t) => {
  const { system } = testSystem(t);
  let running = 0;
  let maxRunning = 0;
  const handled: string[] = [];
  const target = system.spawn<string>(
    () => ({
      receive(m) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (m.endsWith('a')) {
          return new Promise<void>((resolve) =>
            setImmediate(() => {
              handled.push(m);
              running--;
              resolve();
            }),
          );
        }
        handled.push(m);
        running--;
      },
    }),
    { name: 'target' },
  );
  const senders = ['x', 'y', 'z'].map((s) =>
    system.spawn<number>(
      () => ({
        receive(n) {
          target.tell(`${s}${n}${n % 2 === 0 ? 'a' : 's'}`);
        },
      }),
      { name: s, throughput: 1 },
    ),
  );
  for (let i = 0; i < 50; i++) for (const s of senders) s.tell(i);
  await system.settled();
  t.is(maxRunning, 1);
  t.is(handled.length, 150);
  for (const s of ['x', 'y', 'z']) {
    const mine = handled.filter((m) => m.startsWith(s)).map((m) => Number(m.slice(1, -1)));
    t.deepEqual(mine, [...Array(50).keys()], `per-sender order of ${s}`);
  }
});

test('an actor busy with 1M messages does not starve timers and I/O', async (t) => {
  const { system } = testSystem(t);
  const N = 1_000_000;
  let count = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const ref = system.spawn<number>(
    (ctx) => ({
      receive(n) {
        count++;
        if (n < N) ctx.self.tell(n + 1);
        else done();
      },
    }),
    { name: 'busy' },
  );
  let seenByImmediate = -1;
  let seenByTimeout = -1;
  ref.tell(1);
  setImmediate(() => (seenByImmediate = count));
  setTimeout(() => (seenByTimeout = count), 0);
  await finished;
  t.is(count, N);
  t.true(seenByImmediate >= 0 && seenByImmediate < N, `setImmediate ran after ${seenByImmediate} messages`);
  t.true(seenByTimeout >= 0 && seenByTimeout < N, `setTimeout(0) ran after ${seenByTimeout} messages`);
  await system.settled();
});

// Regression test for a bug these tests found (fixed in src/runtime).
test('a self-feeding actor does not crowd out another actor', async (t) => {
  // The dispatcher gives each ready actor `throughput` messages per turn. An actor that keeps
  // telling itself must still let another actor's message through within about one turn.
  const { system } = testSystem(t);
  const N = 200_000;
  let count = 0;
  let lag = -1;
  let told = -1;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const other = system.spawn<string>(
    () => ({
      receive() {
        lag = count - told;
      },
    }),
    { name: 'other' },
  );
  const busy: Ref<number> = system.spawn<number>(
    (ctx) => ({
      receive(n) {
        count++;
        if (n === 100_000) {
          told = count;
          other.tell('ping');
        }
        if (n < N) ctx.self.tell(n + 1);
        else done();
      },
    }),
    { name: 'busy', throughput: 100 },
  );
  busy.tell(1);
  await finished;
  await turns();
  t.true(lag >= 0, 'the other actor ran');
  t.true(lag <= 2 * 100, `the other actor waited ${lag} messages of the busy one (throughput 100)`);
});

test('an async handler awaiting a settled promise resumes after one pass, not after the whole turn', async (t) => {
  // A busy actor keeps telling itself (well within the turn budget per message). An actor whose
  // handler awaits an already-settled promise (an in-memory store, a cached answer) must get its
  // continuation after about one pass over the run queue, not once the busy actor has run dry.
  const { system } = testSystem(t);
  const N = 50_000;
  let count = 0;
  let resumedAfter = -1;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const waiter = system.spawn<string>(
    () => ({
      async receive() {
        const startedAt = count;
        await Promise.resolve();
        resumedAfter = count - startedAt;
      },
    }),
    { name: 'waiter' },
  );
  const busy: Ref<number> = system.spawn<number>(
    (ctx) => ({
      receive(n) {
        count++;
        if (n === 10) waiter.tell('go');
        if (n < N) ctx.self.tell(n + 1);
        else done();
      },
    }),
    { name: 'busy', throughput: 100 },
  );
  busy.tell(1);
  await finished;
  await turns();
  t.true(resumedAfter >= 0, 'the waiter resumed');
  t.true(resumedAfter <= 2 * 100, `the waiter resumed after ${resumedAfter} messages of the busy one (throughput 100)`);
});

test("a normal actor's message runs before queued low-priority slices", async (t) => {
  const { system } = testSystem(t);
  const order: string[] = [];
  const control = system.spawn<string>(() => ({ receive: (m) => void order.push(m) }), { name: 'control' });
  const bulks = Array.from({ length: 5 }, (_, b) =>
    system.spawn<number>(
      (ctx) => ({
        receive(n) {
          order.push(`bulk ${b}.${n}`);
          if (n === 1 && b === 0) control.tell('pong'); // arrives while the other chains are queued
          if (n < 10) ctx.self.tell(n + 1);
        },
      }),
      { name: `bulk-${b}`, throughput: 1, priority: 'low' },
    ),
  );
  for (const b of bulks) b.tell(0);
  control.tell('ping');
  await system.settled();
  t.is(order[0], 'ping', 'queued after five bulk actors, it still ran first');
  t.is(order[order.indexOf('bulk 0.1') + 1], 'pong', 'one mid-chain runs right after the slice that sent it');
  t.is(order.filter((o) => o.startsWith('bulk')).length, 55);
});

test('a low-priority actor is slowed by a flood of normal work, never starved', async (t) => {
  const { system } = testSystem(t);
  const order: string[] = [];
  const busy = system.spawn<number>(
    (ctx) => ({
      receive(n) {
        order.push('normal');
        if (n > 0) ctx.self.tell(n - 1);
      },
    }),
    { name: 'busy', throughput: 1 },
  );
  const bulk = system.spawn<number>(() => ({ receive: () => void order.push('low') }), { name: 'bulk', priority: 'low' });
  busy.tell(100);
  for (let i = 0; i < 5; i++) bulk.tell(i);
  await system.settled();
  const lows = order.flatMap((o, i) => (o === 'low' ? [i] : []));
  t.is(lows.length, 5);
  t.true(lows[4]! < 60, `the five low messages ran within the first 60 runs, not after the flood: ${lows.join(', ')}`);
  t.true(lows[0]! >= 1, 'normal work went first');
});

test("a high actor's message runs before the normal and low actors queued ahead of it", async (t) => {
  const { system } = testSystem(t);
  const order: string[] = [];
  const control = system.spawn<string>(() => ({ receive: (m) => void order.push(m) }), { name: 'control', priority: 'high' });
  const chain = (name: string, priority: 'normal' | 'low') =>
    system.spawn<number>(
      (ctx) => ({
        receive(n) {
          order.push(`${name} ${n}`);
          if (n === 1 && name === 'normal-0') control.tell('pong'); // arrives mid-way through the chains
          if (n < 5) ctx.self.tell(n + 1);
        },
      }),
      { name, throughput: 1, priority },
    );
  const chains = [chain('normal-0', 'normal'), chain('normal-1', 'normal'), chain('low-0', 'low')];
  for (const c of chains) c.tell(0);
  control.tell('ping');
  await system.settled();
  t.is(order[0], 'ping', 'queued after three others, it still ran first');
  t.is(order[order.indexOf('normal-0 1') + 1], 'pong', 'a high message sent mid-chain runs right after the run that sent it');
  t.is(order.length, 2 + 3 * 6);
});

test('a flood of high-priority work lets the others run every HIGH_SHARE runs', async (t) => {
  const { system } = testSystem(t);
  const order: string[] = [];
  const flood = system.spawn<number>(
    (ctx) => ({
      receive(n) {
        order.push('high');
        if (n > 0) ctx.self.tell(n - 1);
      },
    }),
    { name: 'flood', throughput: 1, priority: 'high' },
  );
  const normal = system.spawn<number>(() => ({ receive: () => void order.push('normal') }), { name: 'normal', throughput: 1 });
  const low = system.spawn<number>(() => ({ receive: () => void order.push('low') }), { name: 'low', priority: 'low' });
  flood.tell(200);
  for (let i = 0; i < 3; i++) normal.tell(i);
  low.tell(0);
  await system.settled();
  const at = (what: string) => order.flatMap((o, i) => (o === what ? [i] : []));
  t.is(at('high').length, 201);
  // Each of the three normal messages after at most HIGH_SHARE high runs; the low one after LOW_SHARE
  // normal-or-low selections at most, which here means as soon as the normal ones are done.
  const normals = at('normal');
  t.is(normals.length, 3);
  t.true(normals[0]! >= HIGH_SHARE && normals[0]! <= HIGH_SHARE + 1, `first normal run at ${normals[0]}`);
  for (let i = 1; i < normals.length; i++) t.true(normals[i]! - normals[i - 1]! <= HIGH_SHARE + 1, `normal runs at ${normals.join(', ')}`);
  t.true(at('low')[0]! < 5 * (HIGH_SHARE + 1), `the low message ran at ${at('low')[0]}, before the flood ended`);
});

test('a high actor awaiting a settled promise resumes before the normal actors queued behind it', async (t) => {
  const { system } = testSystem(t);
  const order: string[] = [];
  const normals = Array.from({ length: 4 }, (_, i) =>
    system.spawn<string>(() => ({ receive: (m) => void order.push(`${m} ${i}`) }), { name: `normal-${i}` }),
  );
  const store = system.spawn<string>(
    () => ({
      async receive(m) {
        order.push(`${m} start`);
        await Promise.resolve(); // a write that has already completed
        order.push(`${m} done`);
      },
    }),
    { name: 'store', priority: 'high' },
  );
  store.tell('set');
  for (const n of normals) n.tell('tick');
  await system.settled();
  t.deepEqual(order.slice(0, 2), ['set start', 'set done'], order.join(', '));
  t.is(order.length, 6);
});
