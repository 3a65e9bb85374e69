// Hostile peers against a child process that also serves an honest association with this test
// process: each is closed with a close code and a reason, nothing it sent is delivered, and the
// honest association carries on untouched (same incarnation, no lost connection, asks answered).
import test, { type ExecutionContext } from 'ava';
import { TokenAuthority } from '../../../src/auth/token.ts';
import { RemoteCloseCode } from '../../../src/runtime/remote/close-codes.ts';
import { helloFrame } from '../../../src/protocol/remote/handshake-frames.ts';
import { newIncarnation, newNonce } from '../../../src/runtime/remote/handshake.ts';
import type { Done, Task } from '../../fixtures/remote-worker.ts';
import { startLocal, type Local } from './support/local.ts';
import { eventually, FAST_LIMITS, SECRET, startPeer, type Peer } from './support/peers.ts';
import { envelopeFrame, RawPeer } from './support/raw-peer.ts';

const TOKEN_KEY = Buffer.alloc(32, 9);
const tokens = new TokenAuthority(TOKEN_KEY);
const AGENT_LIMITS = { inboundMessagesPerSecond: 200, inboundMessageBurst: 400 };
/** How long the victim waits for a silent peer's handshake. */
const SILENCE_MS = 3_000;

interface Victim {
  readonly a: Local;
  readonly b: Peer;
}

/** Child node-b, with an honest association from node-a (this process) and agents accepted. */
async function victim(t: ExecutionContext): Promise<Victim> {
  const a = await startLocal(t, 'node-a');
  const b = await startPeer(t, {
    name: 'node-b',
    listen: {},
    peers: { 'node-a': a.transport.url! },
    tokenKey: TOKEN_KEY.toString('hex'),
    limits: { ...FAST_LIMITS, ...AGENT_LIMITS, maxFrameBytes: 256 << 10, batchBytes: 64 << 10, handshakeTimeoutMs: SILENCE_MS },
  });
  a.transport.addPeer('node-b', b.url);
  await honest(a, 'before');
  return { a, b };
}

async function honest(a: Local, text: string): Promise<void> {
  const reply = await a.system.ask<Task, Done>(
    a.system.resolve<Task>('vf://node-b/app/worker')!,
    (replyTo) => ({ kind: 'task', id: text, text, replyTo }),
    15_000,
  );
  if (reply.result !== `node-b:${text}`) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
}

/** The honest association lived through it: the same incarnation, never lost, still answering. */
async function unaffected(t: ExecutionContext, { a, b }: Victim): Promise<void> {
  await honest(a, 'after');
  t.is(a.transport.association('node-b')?.incarnation, b.incarnation);
  t.false(
    a.events.some((e) => e.type === 'connection-lost' || e.type === 'association-down'),
    'the honest association never dropped',
  );
}

async function sinkCount(b: Peer, from: string): Promise<number> {
  return (await b.must<{ counts: Record<string, number> }>({ op: 'sink' })).counts[from] ?? 0;
}

const beat = (from: string, n: number) => ({ recipient: 'vf://node-b/app/sink', message: { kind: 'beat', from, n } });

test.serial(
  'failed handshakes are closed with 1008 and a reason: bad proof, bad token, a role that is not an agent, wrong system, silence',
  async (t) => {
    const v = await victim(t);
    const badProof = await RawPeer.connect(v.b.url);
    await t.throwsAsync(badProof.handshake({ address: 'evil', to: 'node-b', kind: 'node', secret: Buffer.alloc(32, 1) }));
    t.deepEqual(await badProof.closeOf(), {
      code: RemoteCloseCode.PolicyViolation,
      reason: 'unauthorized: handshake proof does not match the cluster secret',
    });

    const forged = await RawPeer.connect(v.b.url);
    await t.throwsAsync(
      forged.handshake({
        address: 'agent-1',
        to: 'node-b',
        kind: 'agent',
        token: `${tokens.mint({ sub: 'agent-1', role: 'agent', ttlSeconds: 60 })}x`,
      }),
    );
    t.deepEqual(await forged.closeOf(), { code: RemoteCloseCode.PolicyViolation, reason: 'unauthorized: bad token signature' });

    const viewer = await RawPeer.connect(v.b.url);
    await t.throwsAsync(
      viewer.handshake({
        address: 'viewer-1',
        to: 'node-b',
        kind: 'agent',
        token: tokens.mint({ sub: 'viewer-1', role: 'viewer', ttlSeconds: 60 }),
      }),
    );
    t.deepEqual(await viewer.closeOf(), {
      code: RemoteCloseCode.PolicyViolation,
      reason: 'forbidden: role viewer may not act as an agent',
    });

    const impostor = await RawPeer.connect(v.b.url);
    await t.throwsAsync(
      impostor.handshake({
        address: 'node-a',
        to: 'node-b',
        kind: 'agent',
        token: tokens.mint({ sub: 'node-a', role: 'agent', ttlSeconds: 60 }),
      }),
    );
    t.deepEqual(await impostor.closeOf(), { code: RemoteCloseCode.PolicyViolation, reason: "unauthorized: node-a is a node's address" });

    const elsewhere = await RawPeer.connect(v.b.url);
    await t.throwsAsync(elsewhere.handshake({ address: 'evil', to: 'node-z', kind: 'node', secret: SECRET }));
    t.deepEqual(await elsewhere.closeOf(), { code: RemoteCloseCode.PolicyViolation, reason: 'this is node-b, not node-z' });

    const future = await RawPeer.connect(v.b.url);
    future.send(
      helloFrame({
        kind: 'node',
        address: 'evil',
        toAddress: 'node-b',
        incarnation: newIncarnation(),
        nonce: newNonce(),
        token: undefined,
        versions: { min: 2, max: 3 },
      }),
    );
    t.deepEqual(await future.closeOf(), {
      code: RemoteCloseCode.NoCommonVersion,
      reason: 'no common protocol version: you speak 2-3, this system 1-1',
    });

    const silent = await RawPeer.connect(v.b.url);
    const closed = await silent.closeOf(SILENCE_MS + 10_000);
    t.deepEqual(closed, { code: RemoteCloseCode.PolicyViolation, reason: `no handshake within ${SILENCE_MS} ms` });
    await unaffected(t, v);
  },
);

test.serial('random bytes, text frames and envelopes before the handshake are closed, 1007 or 1003 or 1008', async (t) => {
  const v = await victim(t);
  const random = await RawPeer.connect(v.b.url);
  random.send(new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff)));
  const r = await random.closeOf();
  t.is(r.code, RemoteCloseCode.InvalidPayload);
  t.regex(r.reason, /^malformed frame: /);

  const text = await RawPeer.connect(v.b.url);
  text.send('hello');
  t.deepEqual(await text.closeOf(), {
    code: RemoteCloseCode.UnsupportedData,
    reason: 'text frames are not part of this protocol: send binary RemoteFrames',
  });

  const early = await RawPeer.connect(v.b.url);
  early.send(envelopeFrame([beat('early', 1)], 1));
  t.deepEqual(await early.closeOf(), { code: RemoteCloseCode.PolicyViolation, reason: 'expected a RemoteHello first' });

  const authenticated = await RawPeer.connect(v.b.url);
  await authenticated.handshake({ address: 'node-x', to: 'node-b', kind: 'node', secret: SECRET });
  authenticated.send(new Uint8Array(64).fill(0xab));
  t.is((await authenticated.closeOf()).code, RemoteCloseCode.InvalidPayload);
  t.is(await sinkCount(v.b, 'early'), 0);
  await unaffected(t, v);
});

test.serial('a frame over the size limit is closed with 1009 and the limit, whatever its content', async (t) => {
  const v = await victim(t);
  const big = await RawPeer.connect(v.b.url);
  await big.handshake({ address: 'node-x', to: 'node-b', kind: 'node', secret: SECRET });
  big.send(new Uint8Array((256 << 10) + 1));
  t.deepEqual(await big.closeOf(), { code: RemoteCloseCode.TooBig, reason: `frame too big: the limit is ${256 << 10} bytes` });
  await unaffected(t, v);
});

test.serial("a sender that claims another system's path is closed, and none of its frame is delivered", async (t) => {
  const v = await victim(t);
  const spoof = await RawPeer.connect(v.b.url);
  await spoof.handshake({ address: 'node-x', to: 'node-b', kind: 'node', secret: SECRET });
  // Two good envelopes, then one sent "as" node-a: the whole frame is refused.
  spoof.send(
    envelopeFrame(
      [{ ...beat('spoof', 1), sender: 'vf://node-x/app/me' }, beat('spoof', 2), { ...beat('spoof', 3), sender: 'vf://node-a/app/worker' }],
      1,
    ),
  );
  t.deepEqual(await spoof.closeOf(), {
    code: RemoteCloseCode.PolicyViolation,
    reason: "sender vf://node-a/app/worker claims another system's path: this is node-x",
  });
  t.is(await sinkCount(v.b, 'spoof'), 0);
  await unaffected(t, v);
});

test.serial('an agent may reach /app/agents but not /app/graph directly: closed, nothing delivered', async (t) => {
  const v = await victim(t);
  const agent = await RawPeer.connect(v.b.url);
  await agent.handshake({
    address: 'agent-7',
    to: 'node-b',
    kind: 'agent',
    token: tokens.mint({ sub: 'agent-7', role: 'agent', ttlSeconds: 60 }),
  });
  // Allowed: its own corner of the tree.
  agent.send(envelopeFrame([{ recipient: 'vf://node-b/app/agents/worker', message: { kind: 'beat', from: 'agent-7', n: 1 } }], 1));
  agent.send(envelopeFrame([beat('agent-7', 1), { recipient: '/app/graph', message: { kind: 'beat', from: 'agent-7', n: 2 } }], 2));
  const closed = await agent.closeOf();
  t.is(closed.code, RemoteCloseCode.PolicyViolation);
  t.regex(closed.reason, /^agents may not address \/app\/sink: only \/app\/agents and replies to asks$/);
  t.is(await sinkCount(v.b, 'agent-7'), 0);

  const direct = await RawPeer.connect(v.b.url);
  await direct.handshake({
    address: 'agent-8',
    to: 'node-b',
    kind: 'agent',
    token: tokens.mint({ sub: 'agent-8', role: 'agent', ttlSeconds: 60 }),
  });
  direct.send(envelopeFrame([{ recipient: 'vf://node-b/app/graph', message: { kind: 'beat', from: 'agent-8', n: 1 } }], 1));
  t.deepEqual(await direct.closeOf(), {
    code: RemoteCloseCode.PolicyViolation,
    reason: 'agents may not address /app/graph: only /app/agents and replies to asks',
  });
  await unaffected(t, v);
});

test.serial('an agent that floods past its rate limit is closed with 1008; the excess is not delivered', async (t) => {
  const v = await victim(t);
  const flood = await RawPeer.connect(v.b.url);
  await flood.handshake({
    address: 'agent-9',
    to: 'node-b',
    kind: 'agent',
    token: tokens.mint({ sub: 'agent-9', role: 'agent', ttlSeconds: 60 }),
  });
  const perFrame = 100;
  for (let f = 0; f < 20 && flood.ws.readyState === flood.ws.OPEN; f++) {
    flood.send(
      envelopeFrame(
        Array.from({ length: perFrame }, (_, i) => ({
          recipient: 'vf://node-b/app/agents/sink',
          message: { kind: 'beat', from: 'agent-9', n: f * perFrame + i + 1 },
        })),
        f * perFrame + 1,
      ),
    );
  }
  const closed = await flood.closeOf();
  t.is(closed.code, RemoteCloseCode.PolicyViolation);
  t.regex(closed.reason, /^rate limit exceeded: at most 200 messages/);
  // The burst allowance got through, whole frames of it; the frame that broke the limit and all after it did not.
  const delivered = await sinkCount(v.b, 'agent-9');
  t.true(delivered >= AGENT_LIMITS.inboundMessageBurst - perFrame && delivered < 20 * perFrame, `${delivered} delivered`);
  t.is(delivered % perFrame, 0);
  await unaffected(t, v);
  const events = (await v.b.must<{ events: { type: string; code?: number; address?: string }[] }>({ op: 'events' })).events;
  t.true(events.some((e) => e.type === 'connection-refused' && e.address === 'agent-9' && e.code === 1008));
});

test.serial('a replayed seq is refused: at most once, even from an authenticated node', async (t) => {
  const v = await victim(t);
  const replay = await RawPeer.connect(v.b.url);
  await replay.handshake({ address: 'node-x', to: 'node-b', kind: 'node', secret: SECRET });
  replay.send(envelopeFrame([beat('replay', 1)], 1));
  replay.send(envelopeFrame([beat('replay', 2)], 1));
  const closed = await replay.closeOf();
  t.is(closed.code, RemoteCloseCode.PolicyViolation);
  t.regex(closed.reason, /seq 1 repeats or goes back/);
  await eventually(async () => (await sinkCount(v.b, 'replay')) === 1, 5_000, 'the first frame delivered');
  await unaffected(t, v);
});
