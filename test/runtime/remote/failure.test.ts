// Failure across processes: remote death watch on an actor that stops, kill -9 of the far process
// (Terminated within the detector's bound, in-flight messages to dead letters as transport-failed),
// a process stopped past the bound and woken again (down, quarantine, its refs dead for good), and a
// restarted process that is a new incarnation at the same address.
import test, { type ExecutionContext } from 'ava';
import type { ActorFactory } from '../../../src/runtime/actor.ts';
import { RecipientUnavailableError } from '../../../src/runtime/errors.ts';
import type { Ref } from '../../../src/runtime/ref.ts';
import type { Beat, Done, Task } from '../../fixtures/remote-worker.ts';
import { startLocal, type Local } from './support/local.ts';
import { eventually, FAST_LIMITS, SHORT_BOUND_MS, startPeer, type Peer } from './support/peers.ts';

const BOUND = SHORT_BOUND_MS + FAST_LIMITS.heartbeatMs;
/** What a loaded 2-core machine may add to timers and signals: scheduling, not the detector. */
const SLACK_MS = 2_000;

interface Gone {
  readonly kind: 'gone';
  readonly what: string;
}

/** A local actor that watches `target` and records, with the time, each Terminated it gets. */
function watcher(local: Local, name: string, target: Ref<unknown>): { seen: { at: number; sender: string | undefined }[] } {
  const seen: { at: number; sender: string | undefined }[] = [];
  const factory: ActorFactory<Gone> = (ctx) => ({
    preStart: () => ctx.watch(target, { kind: 'gone', what: target.path }),
    receive: () => void seen.push({ at: Date.now(), sender: ctx.sender?.path }),
  });
  local.system.spawn(factory, { name });
  return { seen };
}

async function pair(t: ExecutionContext, downAfterMs = FAST_LIMITS.downAfterMs): Promise<{ a: Local; b: Peer }> {
  const a = await startLocal(t, 'node-a', { limits: { downAfterMs } });
  const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);
  return { a, b };
}

const ask = (a: Local, ref: Ref<Task>, text: string, timeoutMs = 15_000): Promise<Done> =>
  a.system.ask<Task, Done>(ref, (replyTo) => ({ kind: 'task', id: text, text, replyTo }), timeoutMs);

test.serial('a watched remote actor that stops gives the same Terminated as locally; a watch on nothing answers at once', async (t) => {
  const { a, b } = await pair(t);
  const graph = a.system.resolve<Task>('vf://node-b/app/graph')!;
  await ask(a, graph, 'warm up');
  const w = watcher(a, 'w1', graph);
  const nobody = watcher(a, 'w2', a.system.resolve('vf://node-b/app/nobody')!);
  await eventually(() => nobody.seen.length === 1, 5_000, 'Terminated for a path with no actor');
  t.is(nobody.seen[0]!.sender, 'vf://node-b/app/nobody');
  await ask(a, graph, 'after the watch');
  t.is(w.seen.length, 0);
  await b.must({ op: 'stop-actor', path: '/app/graph' });
  await eventually(() => w.seen.length === 1, 5_000, 'Terminated after the remote stop');
  t.is(w.seen[0]!.sender, 'vf://node-b/app/graph', 'the sender is the watched ref, as for a local watch');
  t.is(a.system.remoteWatchCount, 0);
  // The association itself is fine.
  t.is((await ask(a, a.system.resolve<Task>('vf://node-b/app/worker')!, 'still')).result, 'node-b:still');
});

test.serial(
  'kill -9 of the far process: Terminated within the detector bound, and what was in flight dead-letters as transport-failed',
  async (t) => {
    const { a, b } = await pair(t, SHORT_BOUND_MS);
    const workerRef = a.system.resolve<Task>('vf://node-b/app/worker')!;
    await ask(a, workerRef, 'warm up');
    const w = watcher(a, 'w', workerRef);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Stopped first, so that nothing sent from here on can be read, let alone acknowledged.
    b.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const sink = a.system.resolve<Beat>('vf://node-b/app/sink')!;
    for (let n = 1; n <= 100; n++) sink.tell({ kind: 'beat', from: 'a', n });
    const inFlightAsk = ask(a, workerRef, 'in flight', 60_000);
    inFlightAsk.catch(() => undefined);
    b.signal('SIGKILL');
    await b.exited;
    await eventually(() => w.seen.length === 1, 10_000, 'Terminated');
    const elapsed = w.seen[0]!.at - stoppedAt;
    t.true(elapsed <= BOUND + SLACK_MS, `Terminated ${elapsed} ms after the last frame could be sent (bound ${BOUND} ms)`);
    // The last frame heard came up to a couple of heartbeats before the stop.
    t.true(elapsed >= SHORT_BOUND_MS - 3 * FAST_LIMITS.heartbeatMs, `not before the bound: ${elapsed} ms`);
    const error = await t.throwsAsync(inFlightAsk, { instanceOf: RecipientUnavailableError });
    t.regex(error.message, /transport-failed/);
    const lost = a.deadLetters.filter((l) => l.reason === 'transport-failed' && l.recipient === 'vf://node-b/app/sink');
    t.is(lost.length, 100, 'every beat in flight dead-letters');
    t.deepEqual(
      lost.map((l) => (l.message as Beat).n),
      Array.from({ length: 100 }, (_, i) => i + 1),
      'in the order they were told',
    );
    t.true(a.events.some((e) => e.type === 'quarantined' && e.incarnation === b.incarnation));
  },
);

test.serial(
  'stopped past the bound and woken: down and quarantine; old refs stay dead, and a restarted process is reachable',
  async (t) => {
    const { a, b } = await pair(t, SHORT_BOUND_MS);
    const port = Number(new URL(b.url).port);
    const old = a.system.resolve<Task>('vf://node-b/app/worker')!;
    await ask(a, old, 'before');
    const w = watcher(a, 'w', old);
    await new Promise((resolve) => setTimeout(resolve, 300));
    b.signal('SIGSTOP');
    const stoppedAt = Date.now();
    await eventually(() => w.seen.length === 1, 10_000, 'down while stopped');
    t.true(w.seen[0]!.at - stoppedAt <= BOUND + SLACK_MS, `down after ${w.seen[0]!.at - stoppedAt} ms`);
    t.true(a.events.some((e) => e.type === 'association-down' && e.address === 'node-b'));
    t.true(a.events.some((e) => e.type === 'quarantined' && e.incarnation === b.incarnation));

    b.signal('SIGCONT');
    // The woken process learns it was declared down, and is refused from now on.
    await eventually(
      async () => (await b.must<{ events: { type: string }[] }>({ op: 'events' })).events.find((e) => e.type === 'association-down'),
      10_000,
      'the woken process sees its association down',
    );
    const refused = await b.call({ op: 'ask', target: 'vf://node-a/app/worker', text: 'let me in', timeoutMs: 5_000 });
    t.false(refused.ok);
    t.regex(refused.error!, /quarantined|transport-failed/);
    // The old ref is bound to the quarantined incarnation: dead at once, not after a timeout.
    const dead = await t.throwsAsync(ask(a, old, 'old ref', 60_000), { instanceOf: RecipientUnavailableError });
    t.regex(dead.message, /quarantined/);
    // A fresh ref reaches the same (woken, quarantined) process, which is refused.
    const fresh = await t.throwsAsync(ask(a, a.system.resolve<Task>('vf://node-b/app/worker')!, 'fresh', 60_000), {
      instanceOf: RecipientUnavailableError,
    });
    t.regex(fresh.message, /quarantined/);

    b.signal('SIGKILL');
    await b.exited;
    const b2 = await startPeer(t, { name: 'node-b', listen: { port }, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
    t.not(b2.incarnation, b.incarnation);
    // A process that has just started may take a while to answer on a busy machine.
    const answer = await ask(a, a.system.resolve<Task>('vf://node-b/app/worker')!, 'after restart', 60_000);
    t.is(answer.result, 'node-b:after restart');
    t.is(a.transport.association('node-b')?.incarnation, b2.incarnation);
    await t.throwsAsync(ask(a, old, 'old ref again', 60_000), { instanceOf: RecipientUnavailableError, message: /quarantined/ });
  },
);

test.serial(
  'a process restarted before the bound is a new incarnation: the old one goes down at once, old refs die, new ones work',
  async (t) => {
    // A bound longer than the restart takes (tens of seconds on a busy machine), so that it is the new
    // incarnation that tells, not the detector.
    const { a, b } = await pair(t, 180_000);
    const port = Number(new URL(b.url).port);
    const old = a.system.resolve<Task>('vf://node-b/app/worker')!;
    await ask(a, old, 'before');
    const w = watcher(a, 'w', old);
    await new Promise((resolve) => setTimeout(resolve, 300));
    b.signal('SIGKILL');
    await b.exited;
    const b2 = await startPeer(t, {
      name: 'node-b',
      listen: { port },
      peers: { 'node-a': a.transport.url! },
      limits: { ...FAST_LIMITS, downAfterMs: 180_000 },
    });
    // Whichever end reconnects first, the handshake shows a new incarnation.
    const answer = await ask(a, a.system.resolve<Task>('vf://node-b/app/worker')!, 'new', 90_000).catch((error: unknown) => {
      // What the transport saw, for a failure on a busy machine to be read from the log.
      throw new Error(`${String(error)}; new incarnation ${b2.incarnation}; events ${JSON.stringify(a.events.slice(-20))}`);
    });
    t.is(answer.result, 'node-b:new');
    await eventually(() => w.seen.length === 1, 5_000, 'Terminated for the old incarnation');
    t.is(a.transport.association('node-b')?.incarnation, b2.incarnation);
    await t.throwsAsync(ask(a, old, 'old', 60_000), { instanceOf: RecipientUnavailableError, message: /quarantined/ });
  },
);

test.serial('system messages overtake user messages queued before them: a Terminated is not stuck behind a backlog', async (t) => {
  // A backlog bigger than the kernel's socket buffers hold, so that most of it waits in the queue.
  // A bound that a stopped peer and a busy test machine stay well within.
  const a = await startLocal(t, 'node-a', { limits: { maxQueueMessages: 1_000_000, maxQueueBytes: 256 << 20, downAfterMs: 60_000 } });
  const b = await startPeer(t, {
    name: 'node-b',
    listen: {},
    peers: { 'node-a': a.transport.url! },
    limits: FAST_LIMITS,
    mailbox: 1_000_000,
  });
  a.transport.addPeer('node-b', b.url);
  const gone = a.system.spawn<never>(() => ({ receive: () => undefined }), { name: 'watched' });
  await b.must({ op: 'watch', target: 'vf://node-a/watched' });
  await ask(a, a.system.resolve<Task>('vf://node-b/app/worker')!, 'watch is in place');
  // The far process stops reading (well within the bound): what is told now backs up here.
  b.signal('SIGSTOP');
  const sink = a.system.resolve<Beat>('vf://node-b/app/sink')!;
  const backlog = 400_000;
  for (let n = 1; n <= backlog; n++) sink.tell({ kind: 'beat', from: 'backlog', n });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.true(a.transport.association('node-b')!.queue.messages > backlog / 2, 'a backlog is waiting in the outbound queue');
  await a.system.stop(gone);
  await new Promise((resolve) => setTimeout(resolve, 50));
  b.signal('SIGCONT');
  await eventually(() => b.terminated.length === 1, 10_000, 'Terminated at the watcher');
  t.true(
    b.terminated[0]!.sinkTotal < backlog,
    `Terminated came after ${b.terminated[0]!.sinkTotal} of the ${backlog} beats told before it`,
  );
  t.is(b.terminated[0]!.sender, 'vf://node-a/watched');
  // And the backlog itself still arrives whole and in order.
  await eventually(
    async () => ((await b.must<{ counts: Record<string, number> }>({ op: 'sink' })).counts.backlog === backlog ? true : undefined),
    60_000,
    'the backlog',
  );
  t.deepEqual((await b.must<{ outOfOrder: string[] }>({ op: 'sink' })).outOfOrder, []);
});
