// The mailbox on its own (FIFO, growth, each overflow policy, a model test) and through a real actor:
// the dead letters, the 'mailbox-overflow' event and the metrics each policy produces.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Mailbox, REFUSED, STORED, STORED_EVICTING } from '../../src/runtime/mailbox.ts';
import { bindRuntimeMetrics } from '../../src/runtime/metrics.ts';
import type { OverflowPolicy } from '../../src/runtime/overflow-policy.ts';
import { collectEvents } from '../helpers/events.ts';
import { gate, testSystem, turns } from '../helpers/system.ts';

/** Slots the mailbox has allocated, to check growth; the mailbox does not expose it. */
const allocated = (m: Mailbox<unknown, unknown>): number => (m as unknown as { messages: unknown[] }).messages.length;

/** The head message and its sender, removed. */
function take<M, S>(mb: Mailbox<M, S>): [M | undefined, S | undefined] {
  const message = mb.dequeue();
  return [message, mb.lastSender];
}

test('FIFO of (message, sender) pairs across wrap-around', (t) => {
  const mb = new Mailbox<number, string>(12, 'reject');
  const out: [number | undefined, string | undefined][] = [];
  let n = 0;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 3; i++, n++) t.is(mb.enqueue(n, n % 2 === 0 ? `s${n}` : undefined), STORED);
    for (let i = 0; i < 2; i++) out.push(take(mb));
  }
  out.push(...mb.drain().map(({ message, sender }): [number, string | undefined] => [message, sender]));
  t.deepEqual(
    out,
    [...Array(30).keys()].map((i): [number, string | undefined] => [i, i % 2 === 0 ? `s${i}` : undefined]),
  );
  t.true(mb.isEmpty());
  t.is(mb.dequeue(), undefined);
});

test('a sender-less message queued after ones with senders reads back with no sender', (t) => {
  const mb = new Mailbox<string, string>(4, 'reject');
  mb.enqueue('a', 'sa');
  mb.enqueue('b', undefined);
  t.deepEqual(take(mb), ['a', 'sa']);
  mb.enqueue('c', undefined);
  mb.enqueue('d', 'sd');
  mb.enqueue('e', undefined); // reuses the slot 'a' had
  t.deepEqual(
    [take(mb), take(mb), take(mb), take(mb)],
    [
      ['b', undefined],
      ['c', undefined],
      ['d', 'sd'],
      ['e', undefined],
    ],
  );
});

test('holds at most its capacity; storage grows with use, within twice the capacity', (t) => {
  for (const capacity of [1, 3, 40, 100, 1_000]) {
    const mb = new Mailbox<number, never>(capacity, 'reject');
    const initial = allocated(mb);
    t.true(initial <= 64, `starts small (${initial} for ${capacity})`);
    for (let i = 0; i < capacity; i++) t.is(mb.enqueue(i, undefined), STORED);
    t.is(mb.enqueue(capacity, undefined), REFUSED, `capacity ${capacity} is a hard limit`);
    t.is(mb.size, capacity);
    t.true(allocated(mb) >= capacity && allocated(mb) < 2 * capacity, `allocated ${allocated(mb)} for capacity ${capacity}`);
    t.deepEqual(
      mb.drain().map((e) => e.message),
      [...Array(capacity).keys()],
    );
  }
});

test('a big mailbox does not allocate its capacity up front', (t) => {
  const mb = new Mailbox<number, never>(1_000_000, 'reject');
  t.true(allocated(mb) <= 64);
});

test('drop-newest refuses the arriving message and keeps the queue', (t) => {
  const mb = new Mailbox<string, never>(2, 'drop-newest');
  mb.enqueue('a', undefined);
  mb.enqueue('b', undefined);
  t.is(mb.enqueue('c', undefined), REFUSED);
  t.is(mb.overflowCount, 1);
  t.deepEqual(
    mb.drain().map((e) => e.message),
    ['a', 'b'],
  );
});

test('drop-oldest evicts the head and exposes it', (t) => {
  const mb = new Mailbox<string, string>(2, 'drop-oldest');
  mb.enqueue('a', 'sa');
  mb.enqueue('b', undefined);
  t.is(mb.enqueue('c', 'sc'), STORED_EVICTING);
  t.is(mb.evictedMessage, 'a');
  t.is(mb.evictedSender, 'sa');
  t.is(mb.overflowCount, 1);
  t.deepEqual(mb.drain(), [
    { message: 'b', sender: undefined },
    { message: 'c', sender: 'sc' },
  ]);
});

test('reject refuses the arriving message', (t) => {
  const mb = new Mailbox<string, never>(1, 'reject');
  t.is(mb.enqueue('a', undefined), STORED);
  t.is(mb.enqueue('b', undefined), REFUSED);
  t.is(mb.overflowCount, 1);
  t.deepEqual(
    mb.drain().map((e) => e.message),
    ['a'],
  );
});

test('model: a mailbox behaves like a bounded array under each policy', (t) => {
  const policy = fc.constantFrom<OverflowPolicy>('drop-newest', 'drop-oldest', 'reject');
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ enqueue: fc.integer(), sender: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }) }) },
    { weight: 2, arbitrary: fc.constant('dequeue' as const) },
    { weight: 1, arbitrary: fc.constant('drain' as const) },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 150 }), policy, fc.array(op, { maxLength: 500 }), (capacity, pol, ops) => {
      const mb = new Mailbox<number, string>(capacity, pol);
      const model: { message: number; sender: string | undefined }[] = [];
      let overflows = 0;
      for (const o of ops) {
        if (o === 'dequeue') {
          const expected = model.shift();
          const [message, sender] = take(mb);
          if (expected === undefined) {
            if (message !== undefined) return false;
          } else if (message !== expected.message || sender !== expected.sender) return false;
        } else if (o === 'drain') {
          if (JSON.stringify(mb.drain()) !== JSON.stringify(model.splice(0))) return false;
        } else {
          const item = { message: o.enqueue, sender: o.sender };
          const result = mb.enqueue(o.enqueue, o.sender);
          if (model.length < capacity) {
            model.push(item);
            if (result !== STORED) return false;
          } else {
            overflows++;
            if (pol === 'drop-oldest') {
              const evicted = model.shift()!;
              model.push(item);
              if (result !== STORED_EVICTING || mb.evictedMessage !== evicted.message || mb.evictedSender !== evicted.sender) return false;
            } else if (result !== REFUSED) return false;
          }
        }
        if (mb.size !== model.length || mb.isEmpty() !== (model.length === 0) || mb.overflowCount !== overflows) return false;
        if (allocated(mb) >= 2 * Math.max(capacity, 32)) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

// ---- through a real actor -------------------------------------------------------------------

/**
 * An actor whose first message holds its handler open on `hold`, so later tells pile up in its
 * mailbox; records what it handles.
 */
function piledUp(t: ExecutionContext, policy: OverflowPolicy) {
  const ts = testSystem(t);
  const log = collectEvents(ts.system);
  const registry = new Registry();
  t.teardown(bindRuntimeMetrics(ts.system, registry));
  const hold = gate();
  const started = gate();
  const handled: string[] = [];
  const ref = ts.system.spawn<string>(
    () => ({
      async receive(m) {
        handled.push(m);
        if (m === 'first') {
          started.open();
          await hold.promise;
        }
      },
    }),
    { name: 'box', mailbox: { capacity: 3, overflow: policy } },
  );
  t.teardown(() => hold.open());
  return { ...ts, log, registry, hold, started, handled, ref };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value;
}

for (const [policy, reason, survivors] of [
  ['drop-newest', 'mailbox-dropped', ['m1', 'm2', 'm3']],
  ['drop-oldest', 'mailbox-dropped', ['m3', 'm4', 'm5']],
  ['reject', 'mailbox-full', ['m1', 'm2', 'm3']],
] as const) {
  test(`through an actor, ${policy}: dead letters '${reason}', overflow events and metrics`, async (t) => {
    const { system, log, registry, hold, started, handled, ref } = piledUp(t, policy);
    ref.tell('first');
    await started.promise;
    for (let i = 1; i <= 5; i++) ref.tell(`m${i}`);

    const dropped = log.deadLetters().map((l) => [l.recipient, l.message, l.reason]);
    const expectedDropped = policy === 'drop-oldest' ? ['m1', 'm2'] : ['m4', 'm5'];
    t.deepEqual(
      dropped,
      expectedDropped.map((m) => ['/box', m, reason]),
    );
    t.deepEqual(
      log.of('mailbox-overflow').map((e) => [e.path, e.policy, e.capacity]),
      [
        ['/box', policy, 3],
        ['/box', policy, 3],
      ],
    );
    t.is(await metricValue(registry, 'vf_mailbox_overflow_total', { actor: '/box', policy }), 2);
    t.is(await metricValue(registry, 'vf_mailbox_full', { actor: '/box' }), 1, 'the mailbox is at capacity');
    t.is(await metricValue(registry, 'vf_mailbox_depth', { actor: '/box' }), 3);
    t.is(await metricValue(registry, 'vf_dead_letters_total', { reason }), 2);

    hold.open();
    await system.settled();
    t.deepEqual(handled, ['first', ...survivors]);
    t.is(await metricValue(registry, 'vf_mailbox_full', { actor: '/box' }), undefined, 'no longer full once drained');
    t.is(await metricValue(registry, 'vf_messages_handled', { actor: '/box' }), 4);
  });
}

test('an ask whose request a full mailbox refuses fails at once', async (t) => {
  const { system, started, ref, clock } = piledUp(t, 'reject');
  ref.tell('first');
  await started.promise;
  for (let i = 1; i <= 3; i++) ref.tell(`m${i}`);
  const error = await t.throwsAsync(system.ask<string, string>(ref, () => 'asked', 1_000));
  t.is(error?.name, 'RecipientUnavailableError');
  t.regex(error?.message ?? '', /mailbox-full/);
  t.is(clock.now(), 0);
  t.is(system.pendingAskCount, 0);
});

test('an ask evicted by drop-oldest fails at once', async (t) => {
  const { system, started, ref } = piledUp(t, 'drop-oldest');
  ref.tell('first');
  await started.promise;
  const asked = system.ask<string, string>(ref, () => 'asked', 1_000);
  for (let i = 1; i <= 3; i++) ref.tell(`m${i}`);
  const error = await t.throwsAsync(asked);
  t.regex(error?.message ?? '', /mailbox-dropped/);
  await turns();
  t.is(system.pendingAskCount, 0);
});
