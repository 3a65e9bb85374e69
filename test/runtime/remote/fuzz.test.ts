// Mutated frames against live associations: 50,000 through the inbound path of an association
// that stays up (this process's, with an authenticated peer), and a run over the wire, each frame
// on a fresh authenticated connection, against a child process. Every frame is either accepted or
// refused with a close code and a reason; nothing throws, nothing crashes, and an honest
// association beside them keeps answering.
import test from 'ava';
import { RemoteCloseCode } from '../../../src/runtime/remote/close-codes.ts';
import { controlFrame } from '../../../src/protocol/remote/frame-builder.ts';
import { challengeFrame, helloFrame, proofFrame, welcomeFrame } from '../../../src/protocol/remote/handshake-frames.ts';
import { newIncarnation, newNonce } from '../../../src/runtime/remote/handshake.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';
import type { Done, Task } from '../../fixtures/remote-worker.ts';
import { startLocal } from './support/local.ts';
import { FAST_LIMITS, SECRET, startPeer } from './support/peers.ts';
import { envelopeFrame, RawPeer, type RawEnvelope } from './support/raw-peer.ts';

const FRAMES_IN_PROCESS = 50_000;
const FRAMES_OVER_THE_WIRE = 1_000;
const REFUSAL_CODES: readonly number[] = [RemoteCloseCode.InvalidPayload, RemoteCloseCode.PolicyViolation];

/** Frames as a node's traffic looks, numbered from `seq`: what the mutations start from. */
function seeds(from: string, to: string, seq: number): Uint8Array[] {
  const beats: RawEnvelope[] = Array.from({ length: 20 }, (_, i) => ({
    recipient: `vf://${to}/app/sink`,
    sender: `vf://${from}/app/s`,
    message: { kind: 'beat', from, n: i + 1 },
  }));
  const task: RawEnvelope = {
    recipient: `vf://${to}/app/worker`,
    sender: `vf://${from}/temp/9`,
    message: { kind: 'task', id: 't', text: 'fuzz', replyTo: { path: `vf://${from}/app/collector`, tell: () => undefined } },
  };
  const introduce: RawEnvelope = { recipient: `/app/worker`, message: { kind: 'introduce', peers: [], note: 'n' } };
  const done: RawEnvelope = { recipient: `/app/collector`, message: { kind: 'done', id: 'd', ok: true, result: 'r' } };
  return [
    envelopeFrame(beats, seq, 3),
    envelopeFrame([task, done], seq + 100),
    envelopeFrame([introduce, beats[0]!, done], seq + 200, 1),
    controlFrame(7, { watch: ['/app/worker', '/app/sink'], rewatch: true, unwatch: ['/app/x'], terminated: ['/app/y'] }),
    controlFrame(0, undefined),
    helloFrame({ kind: 'node', address: from, toAddress: to, incarnation: 5, nonce: newNonce(), token: 'tok' }),
    challengeFrame(1, to, 6, newNonce(), new Uint8Array(32)),
    proofFrame(new Uint8Array(32), 4),
    welcomeFrame(3, 100),
  ];
}

/** One mutation of `seed` (or of two seeds spliced), chosen by `random`. */
function mutate(seed: Uint8Array, other: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  let out = seed.slice();
  switch (pick(9)) {
    case 0: // a few bytes flipped
      for (let k = 1 + pick(8); k > 0; k--) {
        const at = pick(out.length);
        out[at] = out[at]! ^ (1 << pick(8));
      }
      break;
    case 1: {
      // an aligned u32 (an offset, a length, a count) set to something interesting
      const at = pick(out.length >> 2) << 2;
      const values = [0, 1, 0xffffffff, 0x7fffffff, out.length, out.length - at, 4, 0x10000, pick(2 ** 32)];
      new DataView(out.buffer).setUint32(at, values[pick(values.length)]!, true);
      break;
    }
    case 2: // truncated
      out = out.slice(0, pick(out.length));
      break;
    case 3: {
      // random bytes appended
      const tail = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
      const joined = new Uint8Array(out.length + tail.length);
      joined.set(out);
      joined.set(tail, out.length);
      out = joined;
      break;
    }
    case 4: {
      // spliced with another seed
      const cut = pick(Math.min(out.length, other.length));
      const joined = new Uint8Array(other.length);
      joined.set(out.subarray(0, cut));
      joined.set(other.subarray(cut), cut);
      out = joined;
      break;
    }
    case 5: {
      // a region zeroed
      const at = pick(out.length);
      out.fill(0, at, at + 1 + pick(16));
      break;
    }
    case 6: {
      // a region copied over another
      const from = pick(out.length);
      out.copyWithin(pick(out.length), from, from + 1 + pick(32));
      break;
    }
    case 7: // pure noise of a plausible size
      out = Uint8Array.from({ length: pick(512) }, () => pick(256));
      break;
    default: // a single byte anywhere set to anything
      out[pick(out.length)] = pick(256);
  }
  return out;
}

test.serial(
  `${FRAMES_IN_PROCESS} mutated frames through a live association: each accepted or refused with a code, no throw, no crash`,
  async (t) => {
    // The raw peer sends no heartbeats: a bound it cannot reach while the run lasts.
    const a = await startLocal(t, 'node-a', { limits: { downAfterMs: 600_000 } });
    const b = await startPeer(t, { name: 'node-b', listen: {}, peers: { 'node-a': a.transport.url! }, limits: FAST_LIMITS });
    a.transport.addPeer('node-b', b.url);
    // The association under fuzz: an authenticated node that otherwise keeps quiet.
    const x = await RawPeer.connect(a.transport.url!);
    await x.handshake({ address: 'node-x', to: 'node-a', kind: 'node', secret: SECRET });
    const random = mulberry32(22);
    const outcomes = new Map<string, number>();
    let thrown = 0;
    let seq = 1;
    let corpus = seeds('node-x', 'node-a', seq);
    for (let i = 0; i < FRAMES_IN_PROCESS; i++) {
      if (i % 500 === 0) {
        // Fresh seqs now and then, so that unmutated envelope frames keep being accepted.
        seq += 1_000;
        corpus = seeds('node-x', 'node-a', seq);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const seed = corpus[Math.floor(random() * corpus.length)]!;
      const frame = random() < 0.05 ? seed : mutate(seed, corpus[Math.floor(random() * corpus.length)]!, random);
      try {
        const refusal = a.transport.receiveAsFrom('node-x', frame);
        const key = refusal === undefined ? 'accepted' : `${refusal.code}`;
        if (refusal !== undefined && (!REFUSAL_CODES.includes(refusal.code) || refusal.reason.length === 0))
          t.fail(`unexpected refusal ${JSON.stringify(refusal)}`);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      } catch (error) {
        thrown++;
        if (thrown <= 3) t.log(`threw on frame ${i}: ${String(error)}`);
      }
    }
    t.is(thrown, 0);
    t.log(Object.fromEntries(outcomes));
    t.true((outcomes.get('accepted') ?? 0) > 100, 'some frames were accepted (and their envelopes delivered)');
    t.true((outcomes.get('1007') ?? 0) > 10_000, 'most mutations fail verification');
    t.true((outcomes.get('1008') ?? 0) > 100, 'some pass verification and fail the policy');
    // The fuzzed association is still up, and the honest one still answers.
    t.is(a.transport.association('node-x')?.state, 'up');
    const reply = await a.system.ask<Task, Done>(
      a.system.resolve<Task>('vf://node-b/app/worker')!,
      (replyTo) => ({ kind: 'task', id: 'after', text: 'after', replyTo }),
      10_000,
    );
    t.is(reply.result, 'node-b:after');
    x.close();
  },
);

test.serial(
  `${FRAMES_OVER_THE_WIRE} mutated frames over the wire, each on a fresh authenticated connection: the child survives and keeps serving`,
  async (t) => {
    const a = await startLocal(t, 'node-a');
    const b = await startPeer(t, {
      name: 'node-b',
      listen: {},
      peers: { 'node-a': a.transport.url! },
      limits: { ...FAST_LIMITS, maxHandshakes: 64 },
    });
    a.transport.addPeer('node-b', b.url);
    const ask = () =>
      a.system.ask<Task, Done>(
        a.system.resolve<Task>('vf://node-b/app/worker')!,
        (replyTo) => ({ kind: 'task', id: 'x', text: 'x', replyTo }),
        30_000,
      );
    // The honest association, up before the fuzz and still up after it.
    await ask();
    const random = mulberry32(2222);
    const corpus = seeds('node-f', 'node-b', 1);
    const codes = new Map<number, number>();
    // One address per lane: a lane's next connection is a new incarnation of its last, which is gone.
    const one = async (lane: number): Promise<void> => {
      const peer = await RawPeer.connect(b.url);
      await peer.handshake({ address: `node-f${lane}`, to: 'node-b', kind: 'node', secret: SECRET, incarnation: newIncarnation() });
      const seed = corpus[Math.floor(random() * corpus.length)]!;
      peer.send(mutate(seed, corpus[Math.floor(random() * corpus.length)]!, random));
      // Then a text frame: closed with 1003 means the mutated frame before it was accepted.
      peer.send('end');
      const { code } = await peer.closeOf();
      codes.set(code, (codes.get(code) ?? 0) + 1);
    };
    const lanes = 4;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = 0; i < FRAMES_OVER_THE_WIRE / lanes; i++) await one(lane);
      }),
    );
    t.log(Object.fromEntries(codes));
    t.true((codes.get(RemoteCloseCode.InvalidPayload) ?? 0) > FRAMES_OVER_THE_WIRE / 4);
    t.is(codes.get(RemoteCloseCode.Quarantined), undefined, 'no connection was taken for an old incarnation');
    t.true((codes.get(RemoteCloseCode.UnsupportedData) ?? 0) > 0, 'some mutated frames were accepted');
    t.is(b.child.exitCode, null, 'the child is alive');
    t.is((await ask()).result, 'node-b:x');
    t.is(a.transport.association('node-b')?.incarnation, b.incarnation);
    t.false(
      a.events.some((e) => e.type === 'association-down'),
      'the honest association never went down',
    );
  },
);
