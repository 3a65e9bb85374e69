// The dead-letter retry actor under the virtual clock: redelivery once there is room, backoff and
// give-up into the sink, maxPending overflow, flush on restart, and no retry for asks.
import test, { type ExecutionContext } from 'ava';
import { deadLetterRetry, type RetryMsg, type RetryPolicy, type RetryStats } from '../../src/actors/dead-letter-retry.ts';
import { InMemoryFailureSink } from '../../src/actors/permanent-failure-sink.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { collectEvents } from '../helpers/events.ts';
import { gate, testSystem } from '../helpers/system.ts';

const policy: RetryPolicy = {
  maxAttempts: 3,
  backoff: { minMs: 100, maxMs: 1_000, randomFactor: 0 },
  maxPending: 10,
  retryable: ['mailbox-full', 'stash-full', 'recipient-unknown', 'recipient-stopped', 'transport-failed'],
  skipRecipients: ['/sessions/'],
};

function setup(t: ExecutionContext, p: RetryPolicy = policy) {
  const ts = testSystem(t, { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) });
  const sink = new InMemoryFailureSink();
  const retry = ts.system.spawn(deadLetterRetry(sink, p), { name: 'retry' });
  const stats = (): Promise<RetryStats> => ts.system.ask<RetryMsg, RetryStats>(retry, (replyTo) => ({ type: 'stats', replyTo }), 1_000);
  return { ...ts, sink, retry, stats };
}

test('a letter refused by a full reject mailbox is redelivered once room appears', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  const ready = gate();
  const handled: string[] = [];
  // Still starting (async preStart), so its one-slot mailbox stays full until the gate opens.
  const target = system.spawn<string>(
    () => ({
      preStart: () => ready.promise,
      receive: (m) => void handled.push(m),
    }),
    { name: 'target', mailbox: { capacity: 1, overflow: 'reject' } },
  );
  const sender = system.spawn<string>(() => ({ receive: () => undefined }), { name: 'sender' });
  target.tell('m1', sender);
  target.tell('m2', sender);
  await system.settled();
  t.deepEqual(await stats(), { pending: 1, redelivered: 0, gaveUp: 0 });
  await advance(100); // attempt 1: still full
  t.deepEqual(await stats(), { pending: 1, redelivered: 0, gaveUp: 0 });
  ready.open();
  await system.settled();
  t.deepEqual(handled, ['m1']);
  await advance(199);
  t.deepEqual(handled, ['m1'], 'attempt 2 is due 200 ms after attempt 1');
  await advance(1);
  t.deepEqual(handled, ['m1', 'm2']);
  t.deepEqual(await stats(), { pending: 0, redelivered: 1, gaveUp: 0 });
  t.deepEqual(sink.failures(), []);
});

test('the redelivered letter keeps its sender', async (t) => {
  const { system, advance } = setup(t);
  const ready = gate();
  const senders: (string | undefined)[] = [];
  const target = system.spawn<string>((ctx) => ({ preStart: () => ready.promise, receive: () => void senders.push(ctx.sender?.path) }), {
    name: 'target',
    mailbox: { capacity: 1, overflow: 'reject' },
  });
  const sender = system.spawn<string>(() => ({ receive: () => undefined }), { name: 'sender' });
  target.tell('m1', sender);
  target.tell('m2', sender);
  ready.open();
  await system.settled();
  await advance(100);
  t.deepEqual(senders, ['/sender', '/sender']);
});

test('a letter to an unknown path is retried maxAttempts times with backoff, then sunk', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  const log = collectEvents(system);
  system.tellPath('/nobody', 'lost');
  await system.settled();
  // Attempts at 100, 300 (100 + 200), 700 (300 + 400).
  await advance(699);
  t.deepEqual(sink.failures(), []);
  t.deepEqual(await stats(), { pending: 1, redelivered: 0, gaveUp: 0 });
  await advance(1);
  const failures = sink.failures();
  t.is(failures.length, 1);
  t.like(failures[0], { attempts: 3, lastResult: 'recipient-unknown', time: 700 });
  t.like(failures[0]?.letter, { recipient: '/nobody', message: 'lost', reason: 'recipient-unknown', time: 0 });
  t.deepEqual(await stats(), { pending: 0, redelivered: 0, gaveUp: 1 });
  t.is(log.deadLetters().length, 1, 'failed retries raise no new dead letters');
  await advance(10_000);
  t.is(sink.failures().length, 1, 'nothing more is retried');
});

test('the backoff between attempts is exponential and capped by maxMs', async (t) => {
  const p: RetryPolicy = { ...policy, maxAttempts: 6, backoff: { minMs: 100, maxMs: 500, randomFactor: 0 } };
  const { system, advance, sink } = setup(t, p);
  system.tellPath('/nobody', 'x');
  // 100 + 200 + 400 + 500 + 500 + 500
  await advance(2_199);
  t.is(sink.failures().length, 0);
  await advance(1);
  t.like(sink.failures()[0], { attempts: 6, time: 2_200 });
});

test('beyond maxPending letters go straight to the sink', async (t) => {
  const { system, sink, stats } = setup(t, { ...policy, maxPending: 2 });
  for (const m of ['a', 'b', 'c', 'd']) system.tellPath('/nobody', m);
  await system.settled();
  t.deepEqual(
    sink.failures().map((f) => [f.letter.message, f.attempts, f.lastResult]),
    [
      ['c', 0, 'retry-queue-full'],
      ['d', 0, 'retry-queue-full'],
    ],
  );
  t.deepEqual(await stats(), { pending: 2, redelivered: 0, gaveUp: 2 });
});

test('pending retries are flushed to the sink as interrupted when the actor restarts', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  system.tellPath('/nobody', 'a');
  system.tellPath('/nobody', 'b');
  await advance(100); // one attempt each
  system.faults.kill('/retry');
  await advance(0);
  t.deepEqual(
    sink.failures().map((f) => [f.letter.message, f.attempts, f.lastResult]),
    [
      ['a', 1, 'interrupted'],
      ['b', 1, 'interrupted'],
    ],
  );
  t.deepEqual(await stats(), { pending: 0, redelivered: 0, gaveUp: 0 }, 'a fresh instance');
  // The new instance listens again.
  system.tellPath('/nobody', 'c');
  await system.settled();
  t.deepEqual(await stats(), { pending: 1, redelivered: 0, gaveUp: 0 });
  await advance(10_000);
  t.like(sink.failures().at(-1), { attempts: 3, lastResult: 'recipient-unknown' });
  t.is(sink.failures().length, 3, 'the old instance no longer records anything');
});

test('pending retries are flushed as interrupted when the system terminates', async (t) => {
  const { system, sink } = setup(t);
  system.tellPath('/nobody', 'a');
  await system.settled();
  await system.terminate();
  t.deepEqual(
    sink.failures().map((f) => [f.letter.message, f.attempts, f.lastResult]),
    [['a', 0, 'interrupted']],
  );
});

test('ask requests and late ask replies are not retried', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  const log = collectEvents(system);
  const gone = system.spawn<{ replyTo: Ref<string> }>(() => ({ receive: () => undefined }), { name: 'gone' });
  await system.stop(gone);
  await t.throwsAsync(system.ask(gone, (replyTo) => ({ replyTo }), 1_000));
  type Msg = { replyTo: Ref<string> } | 'release';
  let held: Ref<string> | undefined;
  const slow = system.spawn<Msg>(
    () => ({
      receive(m) {
        if (m === 'release') held?.tell('late');
        else held = m.replyTo;
      },
    }),
    { name: 'slow' },
  );
  const late = system.ask<Msg, string>(slow, (replyTo) => ({ replyTo }), 50);
  await advance(50);
  await t.throwsAsync(late);
  slow.tell('release');
  await advance(10_000);
  t.deepEqual(
    log.deadLetters().map((l) => l.reason),
    ['recipient-stopped', 'ask-expired', 'ask-expired'],
  );
  t.deepEqual(await stats(), { pending: 0, redelivered: 0, gaveUp: 0 });
  t.deepEqual(sink.failures(), []);
});

test('reasons outside the retryable list are not retried', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  const ready = gate();
  const target = system.spawn<string>(() => ({ preStart: () => ready.promise, receive: () => undefined }), {
    name: 'lossy',
    mailbox: { capacity: 1, overflow: 'drop-newest' },
  });
  target.tell('kept');
  target.tell('dropped');
  ready.open();
  await advance(10_000);
  t.deepEqual(await stats(), { pending: 0, redelivered: 0, gaveUp: 0 });
  t.deepEqual(sink.failures(), []);
});

test('the in-memory sink keeps the newest failures and counts what it dropped', async (t) => {
  const sink = new InMemoryFailureSink(2);
  const seen: number[] = [];
  const off = sink.onRecord((f) => seen.push(f.attempts));
  const letter = { recipient: '/x', message: 0, sender: undefined, reason: 'mailbox-full' as const, time: 0, correlationId: undefined };
  for (let i = 1; i <= 3; i++) await sink.record({ letter, attempts: i, lastResult: 'mailbox-full', time: i });
  off();
  await sink.record({ letter, attempts: 4, lastResult: 'mailbox-full', time: 4 });
  t.deepEqual(
    sink.failures().map((f) => f.attempts),
    [3, 4],
  );
  t.is(sink.dropped, 2);
  t.deepEqual(seen, [1, 2, 3]);
  t.throws(() => new InMemoryFailureSink(0), { instanceOf: RangeError });
});

// Regression test for a bug these tests found (fixed in src/runtime).
test('a retry into a full restart stash is a failed attempt, not a redelivery', async (t) => {
  const { system, advance, sink, stats } = setup(t);
  const log = collectEvents(system);
  const target = system.spawn<string>(
    () => ({
      receive(m) {
        if (m === 'fail') throw new Error('fail');
      },
    }),
    { name: 'target', backoff: { minMs: 10_000, maxMs: 10_000, randomFactor: 0, resetAfterMs: 0, stashCapacity: 1 } },
  );
  target.tell('fail');
  await system.settled();
  target.tell('stashed');
  target.tell('overflow');
  t.deepEqual(
    log.deadLetters().map((l) => [l.message, l.reason]),
    [['overflow', 'stash-full']],
  );
  await advance(1_000); // attempts at 100, 300, 700
  t.deepEqual(await stats(), { pending: 0, redelivered: 0, gaveUp: 1 });
  t.like(sink.failures()[0], { attempts: 3, lastResult: 'stash-full' });
});

test('letters to skipped recipients (client sessions) are not retried', async (t) => {
  const { system, advance, sink } = setup(t);
  system.tellPath('/sessions/s-1', 'frame');
  system.tellPath('/elsewhere', 'frame');
  await advance(10_000);
  t.deepEqual(
    sink.failures().map((f) => f.letter.recipient),
    ['/elsewhere'],
  );
});
