// The dialer's side of the association handshake: open the socket, Hello out, Challenge in, Proof
// out, Welcome in, then the socket belongs to the association. A node checks the acceptor's proof
// of the cluster secret before proving its own; an agent or client presents its token and trusts
// the acceptor it reached (over wss, its TLS certificate says who that is).
import WebSocket from 'ws';
import type { RemoteFrame } from '../../protocol/generated/vf/remote-frame.ts';
import type { TimerHandle } from '../../shared/clock.ts';
import { HANDSHAKE_FRAME_BYTES } from './accept-handshake.ts';
import type { Association } from './association.ts';
import { RemoteCloseCode } from './close-codes.ts';
import { readFrame, safeU64 } from '../../protocol/remote/frame-reader.ts';
import { helloFrame, MAX_REMOTE_VERSION, MIN_REMOTE_VERSION, proofFrame, type PeerKind } from '../../protocol/remote/handshake-frames.ts';
import { newNonce, proofMatches, proofOf, type Transcript } from './handshake.ts';
import { PeerSocket, type SocketOwner } from './peer-socket.ts';
import type { RemoteEvent } from './remote-events.ts';
import type { RemoteLimits } from './remote-limits.ts';

/** Who this system is when it dials: a node (cluster secret) or an agent or client (token). */
export type DialIdentity = { readonly kind: 'node' } | { readonly kind: 'agent' | 'client'; readonly token: string };

/** TLS options for wss:// peers: the CA that signed their certificates. */
export interface DialTls {
  readonly ca?: string | Buffer;
  /** Default true: a certificate that does not verify refuses the connection. */
  readonly rejectUnauthorized?: boolean;
}

export interface DialHost {
  readonly address: string;
  readonly incarnation: number;
  readonly limits: RemoteLimits;
  readonly clusterSecret: Uint8Array | undefined;
  readonly identity: DialIdentity;
  readonly tls: DialTls | undefined;
  now(): number;
  publish(event: RemoteEvent): void;
  isQuarantined(address: string, incarnation: number): boolean;
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export class DialHandshake implements SocketOwner {
  readonly socket: PeerSocket;
  private step: 'open' | 'challenge' | 'welcome' | 'done' = 'open';
  private abandoned = false;
  private readonly timer: TimerHandle;
  private readonly nonce = newNonce();
  private peer: { incarnation: number } | undefined;

  constructor(
    private readonly association: Association,
    url: string,
    private readonly host: DialHost,
    setTimer: (ms: number, f: () => void) => TimerHandle,
  ) {
    const limits = host.limits;
    const ws = new WebSocket(url, {
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      // An all-zero masking key: RFC 6455 masks a client's frames so that a script in a browser
      // cannot choose the bytes an intermediary sees; here this process writes every byte itself,
      // and the zero key spares both ends a pass over every frame (ws skips it on both sides).
      generateMask: zeroMask,
      handshakeTimeout: limits.handshakeTimeoutMs,
      ...(host.tls?.ca === undefined ? {} : { ca: host.tls.ca }),
      ...(host.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: host.tls.rejectUnauthorized }),
    });
    this.socket = new PeerSocket(ws, 'dialed', url, limits.maxFrameBytes, this);
    ws.once('open', () => {
      if (this.step !== 'open') return;
      const identity = host.identity;
      this.socket.send(
        helloFrame({
          kind: identity.kind,
          address: host.address,
          toAddress: association.address,
          incarnation: host.incarnation,
          nonce: this.nonce,
          token: identity.kind === 'node' ? undefined : identity.token,
        }),
        undefined,
      );
      this.step = 'challenge';
    });
    this.timer = setTimer(limits.handshakeTimeoutMs, () =>
      this.refuse(RemoteCloseCode.PolicyViolation, `no handshake within ${limits.handshakeTimeoutMs} ms`),
    );
  }

  /** Gives up on this dial: another connection between the two systems won. */
  abandon(): void {
    if (this.step === 'done') return;
    this.abandoned = true;
    this.socket.close(RemoteCloseCode.Superseded, 'simultaneous dial: the connection dialed by the lower address wins');
  }

  frame(socket: PeerSocket, data: Uint8Array): void {
    if (this.step === 'done' || this.step === 'open') return;
    const read = readFrame(data, Math.min(HANDSHAKE_FRAME_BYTES, this.host.limits.maxFrameBytes));
    if (!read.ok) {
      this.refuse(RemoteCloseCode.InvalidPayload, `malformed frame: ${read.error.code}: ${read.error.message}`);
      return;
    }
    if (this.step === 'challenge') this.challenge(read.value);
    else this.welcome(read.value);
  }

  private challenge(frame: RemoteFrame): void {
    const host = this.host;
    const challenge = frame.challenge();
    if (challenge === null) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'expected a RemoteChallenge');
      return;
    }
    const version = challenge.version();
    if (version < MIN_REMOTE_VERSION || version > MAX_REMOTE_VERSION) {
      this.refuse(
        RemoteCloseCode.NoCommonVersion,
        `the acceptor chose protocol version ${version}; this system speaks ${MIN_REMOTE_VERSION}-${MAX_REMOTE_VERSION}`,
      );
      return;
    }
    const address = challenge.address()!;
    if (address !== this.association.address) {
      this.refuse(RemoteCloseCode.PolicyViolation, `reached ${address.slice(0, 64)}, expected ${this.association.address}`);
      return;
    }
    const incarnation = safeU64(challenge.incarnation());
    const nonce = challenge.nonceArray();
    if (incarnation === 0 || nonce === null || nonce.length !== this.nonce.length) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'a RemoteChallenge needs an incarnation and a 32-byte nonce');
      return;
    }
    const transcript: Transcript = {
      version,
      dialer: host.address,
      dialerIncarnation: host.incarnation,
      acceptor: address,
      acceptorIncarnation: incarnation,
      dialerNonce: this.nonce,
      acceptorNonce: nonce,
    };
    let proof: Uint8Array | undefined;
    if (host.identity.kind === 'node') {
      if (host.clusterSecret === undefined || !proofMatches(host.clusterSecret, 'acceptor', transcript, challenge.proofArray())) {
        this.refuse(RemoteCloseCode.PolicyViolation, 'unauthorized: the acceptor could not prove the cluster secret');
        return;
      }
      proof = proofOf(host.clusterSecret, 'dialer', transcript);
    }
    if (host.isQuarantined(address, incarnation)) {
      this.refuse(RemoteCloseCode.Quarantined, `incarnation ${incarnation} of ${address} is quarantined here`);
      return;
    }
    this.peer = { incarnation };
    this.socket.send(proofFrame(proof, this.association.receivedFrom(incarnation)), undefined);
    this.step = 'welcome';
  }

  private welcome(frame: RemoteFrame): void {
    const welcome = frame.welcome();
    if (welcome === null) {
      this.refuse(RemoteCloseCode.PolicyViolation, 'expected a RemoteWelcome');
      return;
    }
    this.step = 'done';
    this.timer.cancel();
    const kind: PeerKind = 'node';
    this.association.attach(this.socket, this.peer!.incarnation, kind, safeU64(welcome.received()));
  }

  closed(_socket: PeerSocket, code: number, reason: string): void {
    if (this.step === 'done') return;
    this.step = 'done';
    this.timer.cancel();
    if (this.abandoned) return;
    if (this.association.dialing === this) this.association.dialFailed(code === RemoteCloseCode.Superseded);
    // The acceptor declared this incarnation down earlier and refuses it (not our own refusal).
    if (code === RemoteCloseCode.Quarantined && this.socket.closedWith === undefined) this.association.quarantinedByPeer(reason);
  }

  private refuse(code: number, reason: string): void {
    if (this.step === 'done') return;
    this.host.publish({
      type: 'connection-refused',
      remote: this.socket.remote,
      address: this.association.address,
      code,
      reason,
      time: this.host.now(),
    });
    this.socket.close(code, reason);
  }
}
