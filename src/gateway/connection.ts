// One WebSocket as the gateway sees it: the guard on the way in (size, binary only, rate limits,
// abuse) and the way out (envelopes, position frames, the bookkeeping backpressure needs). Its
// events go to whichever session actor owns it now; a resumed session takes it over.
import type WebSocket from 'ws';
import type { Clock } from '../shared/clock.ts';
import type { Recipient } from '../shared/recipient.ts';
import { CloseCode, closeReason } from './close-codes.ts';
import type { GatewayLimits } from './limits.ts';
import { TokenBucket } from '../shared/token-bucket.ts';
import { wireLength, type WireMessage } from './wire-message.ts';

export type ConnectionEvent =
  | { readonly type: 'inbound'; readonly data: Uint8Array; readonly conn: Connection }
  /** A message dropped for the rate limit (`data`: its bytes, never decoded here), so it can be answered. */
  | { readonly type: 'rate-limited'; readonly data: Buffer; readonly conn: Connection }
  | { readonly type: 'socket-closed'; readonly code: number; readonly reason: string; readonly conn: Connection };

export interface ConnectionInfo {
  /** Token given on the upgrade request, if any (already verified). */
  readonly upgradeToken?: string;
  readonly remote: string;
}

/** How long a closing socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/** A control message at least this big is bulk (see sendControl). */
const BULK_BYTES = 1 << 20;

export class Connection {
  target: Recipient<ConnectionEvent>;
  /** Set when the server closed the socket: what it told the client. */
  closedWith: { readonly code: number; readonly reason: string } | undefined;
  /** When the stream first had to drop a frame for this socket since it last took one. */
  droppingSince: number | undefined;
  framesSent = 0;
  framesDropped = 0;
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private dropWindowStart = 0;
  private dropsInWindow = 0;
  private awaitingPong = false;
  private closed = false;
  /** Bytes of bulk control messages handed to the socket and not yet flushed to the kernel. */
  private bulkUnflushed = 0;

  constructor(
    readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly limits: GatewayLimits,
    private readonly clock: Clock,
    target: Recipient<ConnectionEvent>,
  ) {
    this.target = target;
    const now = () => clock.now();
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
    // ws refuses a message declared past its maxPayload itself, as soon as it reads the frame's
    // length and before buffering it, by calling close(1009) with no reason. Giving that close the
    // same reason as the check below (and marking it as the server's) keeps one answer for every
    // oversized message, whatever its size, and ends the session rather than holding it for a resume.
    const closeSocket = ws.close.bind(ws);
    ws.close = (code?: number, data?: string | Buffer): void => {
      if (code === CloseCode.TooBig && data === undefined) {
        const reason = tooBigReason(limits.maxMessageBytes);
        this.closedWith ??= { code, reason };
        closeSocket(code, closeReason(reason));
        return;
      }
      closeSocket(code, data);
    };
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('pong', () => (this.awaitingPong = false));
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.target.tell({ type: 'socket-closed', code, reason: reason.toString('utf8'), conn: this });
    });
    // Errors (a bad frame, a reset) are followed by 'close'; without a listener they would throw.
    ws.on('error', () => undefined);
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closedWith !== undefined) return;
    if (data.byteLength > this.limits.maxMessageBytes) {
      this.close(CloseCode.TooBig, tooBigReason(this.limits.maxMessageBytes));
      return;
    }
    if (!isBinary) {
      this.close(CloseCode.UnsupportedData, 'text frames are not part of this protocol: send binary Envelopes');
      return;
    }
    if (!this.messages.take(1) || !this.bytes.take(data.byteLength)) {
      this.rateLimited(data);
      return;
    }
    this.target.tell({ type: 'inbound', data, conn: this });
  }

  private rateLimited(data: Buffer): void {
    const now = this.clock.now();
    if (now - this.dropWindowStart >= 1000) {
      this.dropWindowStart = now;
      this.dropsInWindow = 0;
    }
    this.dropsInWindow++;
    if (this.dropsInWindow > this.limits.abuseDropsPerSecond) {
      this.close(
        CloseCode.PolicyViolation,
        `rate limit exceeded: more than ${this.limits.abuseDropsPerSecond} messages dropped in a second`,
      );
      return;
    }
    // Each drop is answered (at most abuseDropsPerSecond a second: past that the socket closes).
    this.target.tell({ type: 'rate-limited', data, conn: this });
  }

  /**
   * An envelope or control message: always queued (it must not be lost). Fragments go as one
   * message. A client is too far behind when more than maxBufferedBytes wait for it, not counting
   * bulk messages still being flushed: one shortest-path result of a million nodes is 12 MB by
   * itself, and the settings delta right behind it must not cost the client its connection. A
   * reader that stops altogether is caught by the position stream's stall timeout instead.
   */
  sendControl(message: WireMessage): void {
    if (!this.open) return;
    const behind = this.ws.bufferedAmount - this.bulkUnflushed;
    if (behind > this.limits.maxBufferedBytes) {
      this.close(CloseCode.PolicyViolation, `too far behind: ${behind} bytes unread`);
      return;
    }
    const bytes = wireLength(message);
    let flushed: ((error?: Error) => void) | undefined;
    if (bytes >= BULK_BYTES) {
      this.bulkUnflushed += bytes;
      flushed = () => void (this.bulkUnflushed -= bytes);
    }
    if (message instanceof Uint8Array) {
      this.ws.send(message, { binary: true }, flushed);
      return;
    }
    const last = message.length - 1;
    message.forEach((part, i) => this.ws.send(part, { binary: true, fin: i === last }, i === last ? flushed : undefined));
  }

  /** A position frame; the caller checked `mayTakeFrame` first. */
  sendFrame(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
    this.framesSent++;
    this.droppingSince = undefined;
  }

  /** Whether a frame may go out now: the bytes still buffered are at most `highWater`. */
  mayTakeFrame(highWater: number): boolean {
    return this.open && this.ws.bufferedAmount <= highWater;
  }

  frameDropped(now: number): void {
    this.framesDropped++;
    this.droppingSince ??= now;
  }

  /** True when the stream has had to drop frames for at least `timeoutMs` without a break. */
  stalled(now: number, timeoutMs: number): boolean {
    return this.droppingSince !== undefined && now - this.droppingSince >= timeoutMs;
  }

  /** Pings; false when the previous ping was never answered (the peer is gone). */
  heartbeat(): boolean {
    if (!this.open) return true;
    if (this.awaitingPong) return false;
    this.awaitingPong = true;
    this.ws.ping();
    return true;
  }

  /** Closes with a code and a reason; a peer that does not finish the close handshake is cut. */
  close(code: number, reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { code, reason };
    if (this.closed || this.ws.readyState >= this.ws.CLOSING) return;
    this.ws.close(code, closeReason(reason));
    const timer = this.clock.setTimer(CLOSE_GRACE_MS, () => this.ws.terminate());
    this.ws.once('close', () => timer.cancel());
  }

  /** Cuts the TCP connection at once (a dead or stalled peer cannot take a close frame). */
  terminate(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
    this.ws.terminate();
  }
}

/** The one close reason of every message over the limit (ws does not say how big the message was). */
export function tooBigReason(maxMessageBytes: number): string {
  return `message too big: the limit is ${maxMessageBytes} bytes`;
}
