// The acceptor's side of the association handshake, on a socket another system dialed: Hello in,
// Challenge out, Proof in, Welcome out, then the socket belongs to the association. Anything else
// (a malformed or unexpected frame, a refused token or proof, a quarantined incarnation, silence past
// the timeout) closes the socket with a code and a reason, and nothing the peer sent is delivered.
import { can } from '../../auth/roles.ts';
import { describeTokenFailure, type TokenCheck } from '../../auth/token.ts';
import type { RemoteFrame } from '../../protocol/generated/vf/remote-frame.ts';
import type { TimerHandle } from '../../shared/clock.ts';
import { parsePath } from '../path.ts';
import type { Association } from './association.ts';
import { RemoteCloseCode } from './close-codes.ts';
import { readFrame, safeU64 } from '../../protocol/remote/frame-reader.ts';
import { challengeFrame, peerKindOf, welcomeFrame, type PeerKind } from '../../protocol/remote/handshake-frames.ts';
import { chooseVersion, NONCE_BYTES, newNonce, proofMatches, proofOf, type Transcript } from './handshake.ts';
import type { PeerSocket, SocketOwner } from './peer-socket.ts';
import type { RemoteEvent } from './remote-events.ts';
import type { RemoteLimits } from './remote-limits.ts';

/** Checks a token; `TokenAuthority` (src/auth/token.ts) is one. */
export interface TokenVerifier {
  verify(token: unknown): TokenCheck;
}

export interface AcceptHost {
  readonly address: string;
  readonly incarnation: number;
  readonly limits: RemoteLimits;
  readonly clusterSecret: Uint8Array | undefined;
  readonly tokens: TokenVerifier | undefined;
  now(): number;
  publish(event: RemoteEvent): void;
  isQuarantined(address: string, incarnation: number): boolean;
  /** Whether `address` is (or is configured as) a node: agents and clients may not take it. */
  isNode(address: string): boolean;
  /** The association for a peer that passed the Hello, made if there is room; else why not. */
  associationFor(address: string): Association | string;
  /** The handshake is over, whatever its outcome. */
  finished(handshake: AcceptHandshake): void;
}

/** Handshake frames are small; an unauthenticated peer gets no more verifying work than this. */
export const HANDSHAKE_FRAME_BYTES = 16 << 10;

const ADDRESS = /^[A-Za-z0-9_.:-]{1,128}$/;

export class AcceptHandshake implements SocketOwner {
  private step: 'hello' | 'proof' | 'done' = 'hello';
  private readonly timer: TimerHandle;
  private transcript: Transcript | undefined;
  private peer: { address: string; incarnation: number; kind: PeerKind; association: Association } | undefined;

  constructor(
    readonly socket: PeerSocket,
    private readonly host: AcceptHost,
    setTimer: (ms: number, f: () => void) => TimerHandle,
  ) {
    socket.owner = this;
    this.timer = setTimer(host.limits.handshakeTimeoutMs, () =>
      this.refuse(RemoteCloseCode.PolicyViolation, `no handshake within ${host.limits.handshakeTimeoutMs} ms`),
    );
  }

  frame(socket: PeerSocket, data: Uint8Array): void {
    if (this.step === 'done') return;
    const read = readFrame(data, Math.min(HANDSHAKE_FRAME_BYTES, this.host.limits.maxFrameBytes));
    if (!read.ok) {
      this.refuse(RemoteCloseCode.InvalidPayload, `malformed frame: ${read.error.code}: ${read.error.message}`);
      return;
    }
    if (this.step === 'hello') this.hello(read.value);
    else this.proof(read.value);
  }

  private hello(frame: RemoteFrame): void {
    const host = this.host;
    const hello = frame.hello();
    if (hello === null || frame.envelopesLength() > 0) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'expected a RemoteHello first');
      return;
    }
    const version = chooseVersion(hello.minVersion(), hello.maxVersion());
    if (version === undefined) {
      this.refuse(
        RemoteCloseCode.NoCommonVersion,
        `no common protocol version: you speak ${hello.minVersion()}-${hello.maxVersion()}, this system 1-1`,
      );
      return;
    }
    const address = hello.address()!;
    const to = hello.toAddress()!;
    if (to !== host.address) {
      this.refuse(RemoteCloseCode.PolicyViolation, `this is ${host.address}, not ${to}`);
      return;
    }
    if (!ADDRESS.test(address) || address === host.address || parsePath(`vf://${address}/`) === undefined) {
      this.refuse(RemoteCloseCode.PolicyViolation, `bad system address "${address.slice(0, 64)}"`);
      return;
    }
    const incarnation = safeU64(hello.incarnation());
    const nonce = hello.nonceArray();
    if (incarnation === 0 || nonce === null || nonce.length !== NONCE_BYTES) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'a RemoteHello needs an incarnation and a 32-byte nonce');
      return;
    }
    const kind = peerKindOf(hello.kind());
    if (kind === 'node') {
      if (host.clusterSecret === undefined) {
        this.refuse(RemoteCloseCode.PolicyViolation, 'unauthorized: this system accepts no nodes');
        return;
      }
    } else {
      const refusal = this.checkToken(hello.token(), address, kind);
      if (refusal !== undefined) {
        this.refuse(RemoteCloseCode.PolicyViolation, refusal);
        return;
      }
    }
    if (host.isQuarantined(address, incarnation)) {
      this.refuse(RemoteCloseCode.Quarantined, `incarnation ${incarnation} of ${address} is quarantined: restart it to rejoin`);
      return;
    }
    const association = host.associationFor(address);
    if (typeof association === 'string') {
      this.refuse(RemoteCloseCode.PolicyViolation, association);
      return;
    }
    // Both ends dialing at once: the connection dialed by the lower address wins, on both ends.
    if (association.dialing !== undefined) {
      if (host.address < address) {
        this.refuse(RemoteCloseCode.Superseded, 'simultaneous dial: the connection dialed by the lower address wins');
        return;
      }
      const ours = association.dialing;
      association.dialing = undefined;
      ours.abandon();
    }
    const acceptorNonce = newNonce();
    this.transcript = {
      version,
      dialer: address,
      dialerIncarnation: incarnation,
      acceptor: host.address,
      acceptorIncarnation: host.incarnation,
      dialerNonce: nonce,
      acceptorNonce,
    };
    this.peer = { address, incarnation, kind, association };
    const proof = kind === 'node' ? proofOf(host.clusterSecret!, 'acceptor', this.transcript) : undefined;
    this.socket.send(challengeFrame(version, host.address, host.incarnation, acceptorNonce, proof), undefined);
    this.step = 'proof';
  }

  private checkToken(token: string | null, address: string, kind: PeerKind): string | undefined {
    const host = this.host;
    if (host.tokens === undefined) return `unauthorized: this system accepts no ${kind}s`;
    const check = host.tokens.verify(token);
    if (!check.ok) return describeTokenFailure(check.reason);
    if (!can(check.claims.role, 'agent:act')) return `forbidden: role ${check.claims.role} may not act as an agent`;
    if (check.claims.sub !== address) return `unauthorized: the token is for ${check.claims.sub.slice(0, 64)}, not ${address}`;
    if (host.isNode(address)) return `unauthorized: ${address} is a node's address`;
    return undefined;
  }

  private proof(frame: RemoteFrame): void {
    const host = this.host;
    const proof = frame.proof();
    const peer = this.peer!;
    if (proof === null || frame.envelopesLength() > 0) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'expected a RemoteProof');
      return;
    }
    if (peer.kind === 'node' && !proofMatches(host.clusterSecret!, 'dialer', this.transcript!, proof.proofArray())) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'unauthorized: handshake proof does not match the cluster secret');
      return;
    }
    const association = peer.association;
    this.step = 'done';
    this.timer.cancel();
    this.socket.send(welcomeFrame(association.receivedFrom(peer.incarnation), host.limits.heartbeatMs), undefined);
    host.finished(this);
    association.attach(this.socket, peer.incarnation, peer.kind, safeU64(proof.received()));
  }

  closed(): void {
    if (this.step === 'done') return;
    this.step = 'done';
    this.timer.cancel();
    this.host.finished(this);
  }

  private refuse(code: number, reason: string): void {
    if (this.step === 'done') return;
    this.host.publish({
      type: 'connection-refused',
      remote: this.socket.remote,
      address: this.peer?.address,
      code,
      reason,
      time: this.host.now(),
    });
    this.socket.close(code, reason);
  }
}
