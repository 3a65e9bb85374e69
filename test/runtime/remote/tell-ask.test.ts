// Tell and ask between real processes over 127.0.0.1: this test process and one or two children
// (test/fixtures/remote-peer.ts), the same actor code on each side, and refs that travel inside
// messages coming out as working refs on the far side.
import test from 'ava';
import type { Ref } from '../../../src/runtime/ref.ts';
import { RemoteRef } from '../../../src/runtime/transport.ts';
import type { Done, Introduce, Task } from '../../fixtures/remote-worker.ts';
import { startLocal } from './support/local.ts';
import { eventually, FAST_LIMITS, startPeer } from './support/peers.ts';

test.serial('an actor in one process asks an actor in another, and the other way round', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);

  const ref = a.system.resolve<Task>('vf://node-b/app/worker')!;
  t.true(ref instanceof RemoteRef);
  const reply = await a.system.ask<Task, Done>(ref, (replyTo) => ({ kind: 'task', id: '1', text: 'hello', replyTo }), 15_000);
  t.deepEqual(reply, { kind: 'done', id: '1', ok: true, result: 'node-b:hello' });

  // B asks A over the same association (B did not dial: one connection per pair).
  const back = await b.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-a/app/worker', text: 'back', timeoutMs: 15_000 });
  t.deepEqual(back.reply, { kind: 'done', id: 'ask', ok: true, result: 'node-a:back' });
  t.is(a.transport.associationList().length, 1);
  t.is(a.transport.association('node-b')?.incarnation, b.incarnation);
  t.is(a.system.pendingAskCount, 0);
});

test.serial('three processes ask each other round a ring', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  const c = await startPeer(t, { name: 'node-c', listen: {}, peers: { 'node-a': a.transport.url!, 'node-b': b.url }, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);
  a.transport.addPeer('node-c', c.url);
  await b.must({ op: 'add-peer', address: 'node-c', url: c.url });

  const ab = await a.system.ask<Task, Done>(
    a.system.resolve<Task>('vf://node-b/app/worker')!,
    (replyTo) => ({ kind: 'task', id: 'ab', text: 'a->b', replyTo }),
    15_000,
  );
  const bc = await b.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-c/app/worker', text: 'b->c', timeoutMs: 15_000 });
  const ca = await c.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-a/app/worker', text: 'c->a', timeoutMs: 15_000 });
  const ac = await a.system.ask<Task, Done>(
    a.system.resolve<Task>('vf://node-c/app/worker')!,
    (replyTo) => ({ kind: 'task', id: 'ac', text: 'a->c', replyTo }),
    15_000,
  );
  t.is(ab.result, 'node-b:a->b');
  t.is(bc.reply.result, 'node-c:b->c');
  t.is(ca.reply.result, 'node-a:c->a');
  t.is(ac.result, 'node-c:a->c');
});

test.serial('refs inside a message come out on the far side as refs that reach their actors, wherever they live', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  const c = await startPeer(t, { name: 'node-c', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);
  a.transport.addPeer('node-c', c.url);
  await b.must({ op: 'add-peer', address: 'node-c', url: c.url });

  // A tells B's worker about two collectors: A's own (local to A) and C's (remote to both).
  const peers: Ref<Done>[] = [a.system.lookup<Done>('/app/collector')!, a.system.resolve<Done>('vf://node-c/app/collector')!];
  a.system.resolve<Introduce>('vf://node-b/app/worker')!.tell({ kind: 'introduce', peers, note: 'hi' });
  await eventually(() => a.collected.length === 1, 10_000, "A's collector told by B");
  t.deepEqual(a.collected, [{ kind: 'done', id: 'hi', ok: true, result: 'node-b/app/worker' }]);
  const atC = await eventually(
    async () => {
      const { collected } = await c.must<{ collected: Done[] }>({ op: 'collected' });
      return collected.length > 0 ? collected : undefined;
    },
    10_000,
    "C's collector told by B",
  );
  t.deepEqual(atC, [{ kind: 'done', id: 'hi', ok: true, result: 'node-b/app/worker' }]);

  // A reply-to ref inside a plain tell (not an ask): B answers A's collector by the path it was given.
  await b.must({ op: 'tell-task', target: 'vf://node-a/app/worker', taskId: 'from-b', replyTo: 'vf://node-c/app/collector' });
  const second = await eventually(
    async () => {
      const { collected } = await c.must<{ collected: Done[] }>({ op: 'collected' });
      return collected.length > 1 ? collected[1] : undefined;
    },
    10_000,
    'C told by A on behalf of B',
  );
  t.deepEqual(second, { kind: 'done', id: 'from-b', ok: true, result: 'node-a:from-b' });
});

test.serial('a message with no codec fails at the sender with a clear error and never leaves the process', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, { name: 'node-b', listen: {}, limits: FAST_LIMITS });
  a.transport.addPeer('node-b', b.url);
  const ref = a.system.resolve<unknown>('vf://node-b/app/worker')!;
  ref.tell({ kind: 'not-remotable' });
  t.like(a.deadLetters.at(-1), { recipient: 'vf://node-b/app/worker', reason: 'no-codec' });
  t.regex(a.deadLetters.at(-1)!.detail!, /no codec for message kind "not-remotable"/);
  const error = await t.throwsAsync(a.system.ask(ref, () => ({ kind: 'not-remotable' }), 5_000));
  t.regex(error.message, /no-codec: no codec for message kind "not-remotable"/);
  ref.tell(42);
  t.regex(a.deadLetters.at(-1)!.detail!, /only objects with a string kind/);
  // Nothing was sent: no association was even needed.
  t.is(a.transport.association('node-b')?.stats.messagesOut, 0);
});

test.serial('local tells stay plain objects: the same object arrives, nothing is encoded', async (t) => {
  const a = await startLocal(t, 'node-a');
  const seen: unknown[] = [];
  const ref = a.system.spawn<{ kind: 'not-remotable'; payload: object }>(() => ({ receive: (m) => void seen.push(m) }), { name: 'plain' });
  const message = { kind: 'not-remotable' as const, payload: { big: new Uint8Array(10) } };
  ref.tell(message);
  await eventually(() => seen.length === 1, 2_000, 'delivered');
  t.is(seen[0], message);
  t.is(a.deadLetters.length, 0);
});
