// Dead letters: what cannot be delivered is published with why, and an ask whose request
// dead-letters fails at once instead of waiting for its timeout.
import test from 'ava';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { AskTimeoutError, RecipientUnavailableError } from '../../src/runtime/errors.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { collectEvents } from '../helpers/events.ts';
import { testSystem } from '../helpers/system.ts';

type EchoMsg = { readonly text: string; readonly replyTo: Ref<string> };
const echo: ActorFactory<EchoMsg> = () => ({ receive: (m) => m.replyTo.tell(m.text) });

test('a tell to a stopped actor is a recipient-stopped dead letter', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  const ref = system.spawn<string>(() => ({ receive: () => undefined }), { name: 'gone' });
  const sender = system.spawn<string>(() => ({ receive: () => undefined }), { name: 'sender' });
  await system.stop(ref);
  ref.tell('hello', sender);
  t.deepEqual(log.deadLetters(), [
    { recipient: '/gone', message: 'hello', sender: '/sender', reason: 'recipient-stopped', time: 0, correlationId: undefined },
  ]);
});

test('an ask to a stopped actor fails at once with RecipientUnavailableError', async (t) => {
  const { system, clock } = testSystem(t);
  const log = collectEvents(system);
  const ref = system.spawn(echo, { name: 'gone' });
  await system.stop(ref);
  const error = await t.throwsAsync(
    system.ask<EchoMsg, string>(ref, (replyTo) => ({ text: 'hi', replyTo }), 5_000),
    {
      instanceOf: RecipientUnavailableError,
    },
  );
  t.is(error?.target, '/gone');
  t.is(error?.reason, 'recipient-stopped');
  t.is(clock.now(), 0, 'no virtual time passed');
  t.is(system.pendingAskCount, 0);
  const [letter] = log.deadLetters();
  t.is(letter?.reason, 'recipient-stopped');
  t.is(typeof letter?.correlationId, 'number');
  clock.advance(10_000);
  t.deepEqual(log.deadLetters('ask-expired'), [], 'no expiry later');
});

test('an ask that gets no reply fails with AskTimeoutError at its timeout and dead-letters as ask-expired', async (t) => {
  const { system, clock, advance } = testSystem(t);
  const log = collectEvents(system);
  const ref = system.spawn<EchoMsg>(() => ({ receive: () => undefined }), { name: 'silent' });
  let outcome: unknown;
  const asked = system.ask<EchoMsg, string>(ref, (replyTo) => ({ text: 'hi', replyTo }), 1_000).catch((e: unknown) => (outcome = e));
  await advance(999);
  t.is(outcome, undefined, 'still waiting 1 ms before the timeout');
  t.is(system.pendingAskCount, 1);
  clock.advance(1);
  await asked;
  t.true(outcome instanceof AskTimeoutError);
  t.is((outcome as AskTimeoutError).timeoutMs, 1_000);
  t.is((outcome as AskTimeoutError).target, '/silent');
  const expired = log.deadLetters('ask-expired');
  t.is(expired.length, 1);
  t.is(expired[0]?.recipient, '/silent');
  t.deepEqual((expired[0]?.message as EchoMsg).text, 'hi');
  t.regex(expired[0]?.sender ?? '', /^\/temp\/\d+$/);
  t.is(expired[0]?.time, 1_000);
  t.is(system.pendingAskCount, 0);
});

test('a reply that arrives after the timeout is an ask-expired dead letter', async (t) => {
  const { system, clock, advance } = testSystem(t);
  const log = collectEvents(system);
  type Msg = EchoMsg | 'release';
  const ref = system.spawn<Msg>(
    () => {
      const held: EchoMsg[] = [];
      return {
        receive(m) {
          if (m === 'release') for (const h of held.splice(0)) h.replyTo.tell(`late ${h.text}`);
          else held.push(m);
        },
      };
    },
    { name: 'slow' },
  );
  const asked = system.ask<Msg, string>(ref, (replyTo) => ({ text: 'q', replyTo }), 100);
  await advance(100);
  await t.throwsAsync(asked, { instanceOf: AskTimeoutError });
  ref.tell('release');
  await system.settled();
  const expired = log.deadLetters('ask-expired');
  t.is(expired.length, 2, 'the request at expiry, then the late reply');
  const late = expired[1]!;
  t.regex(late.recipient, /^\/temp\/\d+$/);
  t.is(late.message, 'late q');
  t.is(late.correlationId, expired[0]?.correlationId);
  t.is(clock.now(), 100);
});

test('a reply before the timeout resolves the ask and leaves no dead letter', async (t) => {
  const { system, clock } = testSystem(t);
  const log = collectEvents(system);
  const ref = system.spawn(echo, { name: 'echo' });
  t.is(await system.ask<EchoMsg, string>(ref, (replyTo) => ({ text: 'hi', replyTo }), 1_000), 'hi');
  t.is(system.pendingAskCount, 0);
  clock.advance(5_000);
  t.deepEqual(log.deadLetters(), [], 'the answered ask does not expire later');
});

test('ask refuses a timeout that is not positive and finite', (t) => {
  const { system } = testSystem(t);
  const ref = system.spawn(echo, { name: 'echo' });
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    t.throws(() => system.ask<EchoMsg, string>(ref, (replyTo) => ({ text: '', replyTo }), bad), { instanceOf: RangeError });
  }
  t.is(system.pendingAskCount, 0);
});

test('tellPath to an unknown or malformed path is a recipient-unknown dead letter', (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  system.tellPath('/nobody/here', 1);
  system.tellPath('not a path', 2);
  system.tellPath('vf://elsewhere/x', 3);
  t.deepEqual(
    log.deadLetters().map((l) => [l.recipient, l.message, l.reason]),
    [
      ['/nobody/here', 1, 'recipient-unknown'],
      ['not a path', 2, 'recipient-unknown'],
      ['vf://elsewhere/x', 3, 'recipient-unknown'],
    ],
  );
});

test('tellPath delivers to a live actor, by local or own qualified path', async (t) => {
  const { system } = testSystem(t);
  const got: number[] = [];
  system.spawn<number>(() => ({ receive: (n) => void got.push(n) }), { name: 'here' });
  system.tellPath('/here', 1);
  system.tellPath('vf://test/here', 2);
  await system.settled();
  t.deepEqual(got, [1, 2]);
});

test('messages left in the mailbox of a stopping actor become dead letters', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  let stop!: () => Promise<void>;
  const ref = system.spawn<number>(
    (ctx) => {
      stop = () => ctx.stop();
      return { receive: () => undefined };
    },
    { name: 'stopper', restart: 'transient' },
  );
  await system.settled();
  ref.tell(1);
  ref.tell(2);
  await stop();
  t.deepEqual(
    log.deadLetters().map((l) => [l.message, l.reason]),
    [
      [1, 'recipient-stopped'],
      [2, 'recipient-stopped'],
    ],
  );
});
