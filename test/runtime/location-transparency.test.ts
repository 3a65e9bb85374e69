// Two systems joined by the loopback transport and a JSON codec: the same actor code talks to a
// local and a remote ref, asks cross the link, refs inside messages travel, and a cut link turns
// sends into 'transport-failed' dead letters.
import test, { type ExecutionContext } from 'ava';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { RecipientUnavailableError } from '../../src/runtime/errors.ts';
import { connectLoopback } from '../../src/runtime/loopback-transport.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { RemoteRef } from '../../src/runtime/transport.ts';
import { collectEvents } from '../helpers/events.ts';
import { jsonCodec } from '../helpers/json-codec.ts';
import { testSystem, waitFor } from '../helpers/system.ts';

type GreeterMsg = { readonly type: 'greet'; readonly name: string; readonly replyTo: Ref<Greeting> };
type Greeting = { readonly type: 'greeting'; readonly text: string; readonly from: string };

const greeter: ActorFactory<GreeterMsg> = (ctx) => ({
  receive(m) {
    m.replyTo.tell({ type: 'greeting', text: `hello ${m.name}`, from: `${ctx.system.name}${ctx.path}` });
  },
});

type ClientMsg = { readonly type: 'go'; readonly target: Ref<GreeterMsg> } | Greeting;

/** The same code whatever kind of ref it is handed. */
function client(replies: Greeting[]): ActorFactory<ClientMsg> {
  return (ctx) => ({
    receive(m) {
      if (m.type === 'go') m.target.tell({ type: 'greet', name: ctx.path, replyTo: ctx.self }, ctx.self);
      else replies.push(m);
    },
  });
}

function pair(t: ExecutionContext) {
  const a = testSystem(t, { name: 'a' }).system;
  const b = testSystem(t, { name: 'b' }).system;
  const link = connectLoopback(a, b, jsonCodec);
  return { a, b, link };
}

test('the same client talks to a local ref and a remote ref', async (t) => {
  const { a, b, link } = pair(t);
  a.spawn(greeter, { name: 'greeter' });
  b.spawn(greeter, { name: 'greeter' });
  const replies: Greeting[] = [];
  const c = a.spawn(client(replies), { name: 'client' });

  const local = a.resolve<GreeterMsg>('/greeter')!;
  const remote = a.resolve<GreeterMsg>('vf://b/greeter')!;
  t.true(remote instanceof RemoteRef);
  t.is(remote.path, 'vf://b/greeter');

  c.tell({ type: 'go', target: local });
  c.tell({ type: 'go', target: remote });
  await waitFor(() => replies.length === 2);
  t.deepEqual(replies, [
    { type: 'greeting', text: 'hello /client', from: 'a/greeter' },
    { type: 'greeting', text: 'hello /client', from: 'b/greeter' },
  ]);
  t.is(link.delivered, 2, 'one envelope each way for the remote exchange');
});

test('a remote ask from system a to an actor in b gets its reply', async (t) => {
  const { a, b } = pair(t);
  b.spawn(greeter, { name: 'greeter' });
  const remote = a.resolve<GreeterMsg>('vf://b/greeter')!;
  const reply = await a.ask<GreeterMsg, Greeting>(remote, (replyTo) => ({ type: 'greet', name: 'asker', replyTo }), 1_000);
  t.deepEqual(reply, { type: 'greeting', text: 'hello asker', from: 'b/greeter' });
  t.is(a.pendingAskCount, 0);
});

test('the sender travels with the envelope: ctx.sender on the far side replies home', async (t) => {
  const { a, b } = pair(t);
  b.spawn<string>((ctx) => ({ receive: (m) => ctx.sender?.tell(`${m}!`, ctx.self) }), { name: 'shout' });
  const heard: string[] = [];
  const me = a.spawn<string>(
    (ctx) => ({
      receive(m) {
        if (m === 'start') ctx.system.resolve<string>('vf://b/shout')!.tell('hey', ctx.self);
        else heard.push(`${m} from ${ctx.sender?.path ?? 'nobody'}`);
      },
    }),
    { name: 'me' },
  );
  me.tell('start');
  await waitFor(() => heard.length === 1);
  t.deepEqual(heard, ['hey! from vf://b/shout']);
});

test('a message for a path that does not exist on the far side dead-letters there', async (t) => {
  const { a, b } = pair(t);
  const logB = collectEvents(b);
  a.resolve<string>('vf://b/nobody')!.tell('x');
  await waitFor(() => logB.deadLetters().length === 1);
  t.like(logB.deadLetters()[0], { recipient: '/nobody', message: 'x', reason: 'recipient-unknown' });
});

test('cutting the link produces transport-failed dead letters, and asks fail at once', async (t) => {
  const { a, b, link } = pair(t);
  const logA = collectEvents(a);
  b.spawn(greeter, { name: 'greeter' });
  const remote = a.resolve<GreeterMsg>('vf://b/greeter')!;
  link.cut();
  const replies: Greeting[] = [];
  const c = a.spawn(client(replies), { name: 'client' });
  c.tell({ type: 'go', target: remote });
  await a.settled();
  t.deepEqual(
    logA.deadLetters().map((l) => [l.recipient, l.reason, l.sender]),
    [['vf://b/greeter', 'transport-failed', '/client']],
  );
  const asked = a.ask<GreeterMsg, Greeting>(remote, (replyTo) => ({ type: 'greet', name: 'x', replyTo }), 1_000);
  await t.throwsAsync(asked, { instanceOf: RecipientUnavailableError, message: /transport-failed/ });
  t.is(a.clock.now(), 0);
});

test('an envelope in flight when the link is cut dead-letters as transport-failed', async (t) => {
  const { a, b, link } = pair(t);
  const logA = collectEvents(a);
  const got: string[] = [];
  b.spawn<string>(() => ({ receive: (m) => void got.push(m) }), { name: 'sink' });
  a.resolve<string>('vf://b/sink')!.tell('in flight');
  link.cut();
  await waitFor(() => logA.deadLetters().length === 1);
  t.like(logA.deadLetters()[0], { recipient: 'vf://b/sink', message: 'in flight', reason: 'transport-failed' });
  t.deepEqual(got, []);
});

// Regression test for a bug these tests found (fixed in src/runtime).
test('an ask whose request is in flight when the link is cut fails at once', async (t) => {
  const { a, b, link } = pair(t);
  const logA = collectEvents(a);
  b.spawn(greeter, { name: 'greeter' });
  const remote = a.resolve<GreeterMsg>('vf://b/greeter')!;
  let outcome: unknown;
  void a
    .ask<GreeterMsg, Greeting>(remote, (replyTo) => ({ type: 'greet', name: 'x', replyTo }), 1_000)
    .catch((e: unknown) => (outcome = e));
  link.cut();
  await waitFor(() => logA.deadLetters().length === 1);
  t.is(typeof logA.deadLetters()[0]?.correlationId, 'number');
  await waitFor(() => outcome !== undefined, 200);
  t.true(outcome instanceof RecipientUnavailableError);
});
