// The viewer's WebSocket to the node: the handshake first (token from the page URL), then the
// subscriptions; every envelope is verified before use, position frames are handed on as they are
// (no copy). On a lost connection it reconnects with backoff and resumes its session from the last
// sequenced message it applied; if the server no longer holds the session, it subscribes afresh.
import type { EnvelopeT, HandshakeAcceptedT, PayloadT, SubscribeT, Topic } from '../../src/protocol/index.ts';
import { ClientKind, encodeEnvelope, HandshakeT, isPositionFrame, Payload, unpackEnvelope } from '../../src/protocol/index.ts';
import { backoffDelay, RECONNECT_BACKOFF } from './backoff.ts';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionEvents {
  /** A new session (not a resumed one): the server holds none of this client's state. */
  onSession(sessionId: string): void;
  onEnvelope(env: EnvelopeT): void;
  onFrame(bytes: Uint8Array): void;
  onState(state: ConnectionState, detail: string): void;
}

export class Connection {
  private ws: WebSocket | undefined;
  private seq = 0;
  private sessionId = '';
  private lastSeq = 0;
  private attempt = 0;
  private openedAt = 0;
  private stopped = false;
  private readonly topics = new Map<Topic, SubscribeT>();
  /** The topic each Subscribe asked for, by its seq (answers to it carry that correlation id). */
  private readonly subscribeSeqs = new Map<number, Topic>();
  state: ConnectionState = 'connecting';
  bytesReceived = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly events: ConnectionEvents,
  ) {
    this.open();
  }

  /** Sends a payload; returns its seq (the correlation id of the answer), or 0 when not open. */
  send(payload: PayloadT): number {
    if (this.ws === undefined || this.ws.readyState !== WebSocket.OPEN || this.state !== 'open') return 0;
    const seq = ++this.seq;
    this.ws.send(encodeEnvelope({ seq, payload }));
    return seq;
  }

  /** Subscribes now and again after every new session. */
  subscribe(sub: SubscribeT): void {
    this.topics.set(sub.topic, sub);
    this.sendSubscribe(sub);
  }

  /** The topic of the Subscribe sent with `seq`, if it was one. */
  subscribedWith(seq: number): Topic | undefined {
    return this.subscribeSeqs.get(seq);
  }

  private sendSubscribe(sub: SubscribeT): void {
    const seq = this.send(sub);
    if (seq === 0) return;
    // A few per session: kept small all the same.
    if (this.subscribeSeqs.size > 64) this.subscribeSeqs.clear();
    this.subscribeSeqs.set(seq, sub.topic);
  }

  close(): void {
    this.stopped = true;
    this.ws?.close(1000, 'viewer closed');
    this.setState('closed', 'closed by the viewer');
  }

  private setState(state: ConnectionState, detail: string): void {
    this.state = state;
    this.events.onState(state, detail);
  }

  private open(): void {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = performance.now();
      const hs = new HandshakeT(
        this.token,
        ClientKind.Browser,
        BigInt(this.lastSeq),
        'visionflow-viewer',
        this.sessionId === '' ? null : this.sessionId,
      );
      ws.send(encodeEnvelope({ seq: ++this.seq, payload: hs }));
    };
    ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data === 'string') return;
      const bytes = new Uint8Array(event.data);
      this.bytesReceived += bytes.byteLength;
      if (isPositionFrame(bytes)) {
        this.events.onFrame(bytes);
        return;
      }
      const decoded = unpackEnvelope(bytes);
      if (!decoded.ok) return;
      const env = decoded.value;
      if (env.seq > 0n) this.lastSeq = Math.max(this.lastSeq, Number(env.seq));
      if (env.payloadType === Payload.HandshakeAccepted) return this.accepted(env.payload as HandshakeAcceptedT);
      this.events.onEnvelope(env);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      // A connection that stayed up a while starts the backoff over.
      if (this.openedAt > 0 && performance.now() - this.openedAt > 10_000) this.attempt = 0;
      const delay = backoffDelay(RECONNECT_BACKOFF, this.attempt++, Math.random());
      this.setState('reconnecting', `${event.code} ${event.reason || 'connection lost'}; retrying in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(() => this.open(), delay);
    };
  }

  private accepted(hs: HandshakeAcceptedT): void {
    const id = typeof hs.sessionId === 'string' ? hs.sessionId : '';
    const resumed = id !== '' && id === this.sessionId;
    this.sessionId = id;
    this.setState('open', resumed ? 'resumed' : 'connected');
    if (!resumed) {
      this.lastSeq = Math.max(0, Number(hs.nextSeq) - 1);
      this.events.onSession(id);
      for (const sub of this.topics.values()) this.sendSubscribe(sub);
    }
  }
}
