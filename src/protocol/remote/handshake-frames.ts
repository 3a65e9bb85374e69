// The association handshake's four frames, Hello (dialer) -> Challenge (acceptor) -> Proof
// (dialer) -> Welcome (acceptor), as RemoteFrames (schemas/remote.fbs); what is in them and why is
// docs/protocol.md, section 18, and src/runtime/remote/handshake.ts.
import { Builder } from 'flatbuffers';
import { RemoteChallenge } from '../generated/vf/remote-challenge.ts';
import { RemoteFrame } from '../generated/vf/remote-frame.ts';
import { RemoteHello } from '../generated/vf/remote-hello.ts';
import { RemotePeerKind } from '../generated/vf/remote-peer-kind.ts';
import { RemoteProof } from '../generated/vf/remote-proof.ts';
import { RemoteWelcome } from '../generated/vf/remote-welcome.ts';
import { FRAME_IDENTIFIER } from './frame-reader.ts';

/** The versions of this protocol this build speaks. */
export const MIN_REMOTE_VERSION = 1;
export const MAX_REMOTE_VERSION = 1;

export type PeerKind = 'node' | 'agent' | 'client';

const KIND_TO_WIRE: Record<PeerKind, RemotePeerKind> = {
  node: RemotePeerKind.Node,
  agent: RemotePeerKind.Agent,
  client: RemotePeerKind.Client,
};

export function peerKindOf(wire: RemotePeerKind): PeerKind {
  return wire === RemotePeerKind.Node ? 'node' : wire === RemotePeerKind.Agent ? 'agent' : 'client';
}

function finish(b: Builder, frame: number): Uint8Array {
  b.finish(frame, FRAME_IDENTIFIER);
  return b.asUint8Array().slice();
}

export interface HelloFields {
  readonly kind: PeerKind;
  readonly address: string;
  readonly toAddress: string;
  readonly incarnation: number;
  readonly nonce: Uint8Array;
  readonly token: string | undefined;
  /** The versions offered; this build's own unless told otherwise (tests offer others). */
  readonly versions?: { readonly min: number; readonly max: number };
}

export function helloFrame(h: HelloFields): Uint8Array {
  const b = new Builder(512);
  const address = b.createString(h.address);
  const to = b.createString(h.toAddress);
  const nonce = RemoteHello.createNonceVector(b, h.nonce);
  const token = h.token === undefined ? 0 : b.createString(h.token);
  RemoteHello.startRemoteHello(b);
  RemoteHello.addMinVersion(b, h.versions?.min ?? MIN_REMOTE_VERSION);
  RemoteHello.addMaxVersion(b, h.versions?.max ?? MAX_REMOTE_VERSION);
  RemoteHello.addKind(b, KIND_TO_WIRE[h.kind]);
  RemoteHello.addAddress(b, address);
  RemoteHello.addToAddress(b, to);
  RemoteHello.addIncarnation(b, BigInt(h.incarnation));
  RemoteHello.addNonce(b, nonce);
  if (token !== 0) RemoteHello.addToken(b, token);
  const hello = RemoteHello.endRemoteHello(b);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addHello(b, hello);
  return finish(b, RemoteFrame.endRemoteFrame(b));
}

export function challengeFrame(
  version: number,
  address: string,
  incarnation: number,
  nonce: Uint8Array,
  proof: Uint8Array | undefined,
): Uint8Array {
  const b = new Builder(256);
  const addr = b.createString(address);
  const n = RemoteChallenge.createNonceVector(b, nonce);
  const p = proof === undefined ? 0 : RemoteChallenge.createProofVector(b, proof);
  RemoteChallenge.startRemoteChallenge(b);
  RemoteChallenge.addVersion(b, version);
  RemoteChallenge.addAddress(b, addr);
  RemoteChallenge.addIncarnation(b, BigInt(incarnation));
  RemoteChallenge.addNonce(b, n);
  if (p !== 0) RemoteChallenge.addProof(b, p);
  const challenge = RemoteChallenge.endRemoteChallenge(b);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addChallenge(b, challenge);
  return finish(b, RemoteFrame.endRemoteFrame(b));
}

export function proofFrame(proof: Uint8Array | undefined, received: number): Uint8Array {
  const b = new Builder(128);
  const p = proof === undefined ? 0 : RemoteProof.createProofVector(b, proof);
  RemoteProof.startRemoteProof(b);
  if (p !== 0) RemoteProof.addProof(b, p);
  RemoteProof.addReceived(b, BigInt(received));
  const table = RemoteProof.endRemoteProof(b);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addProof(b, table);
  return finish(b, RemoteFrame.endRemoteFrame(b));
}

export function welcomeFrame(received: number, heartbeatMs: number): Uint8Array {
  const b = new Builder(64);
  RemoteWelcome.startRemoteWelcome(b);
  RemoteWelcome.addReceived(b, BigInt(received));
  RemoteWelcome.addHeartbeatMs(b, heartbeatMs);
  const table = RemoteWelcome.endRemoteWelcome(b);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addWelcome(b, table);
  return finish(b, RemoteFrame.endRemoteFrame(b));
}
