// One WebSocket to another system, dialed or accepted: binary frames in and out, the size limit on
// the way in with a reason on the close, and the bookkeeping the sender's backpressure needs. Its
// owner (a handshake, then an association) changes as the connection moves on; events go to it.
import type WebSocket from 'ws';
import { RemoteCloseCode, closeReason } from './close-codes.ts';

export interface SocketOwner {
  frame(socket: PeerSocket, data: Uint8Array): void;
  closed(socket: PeerSocket, code: number, reason: string): void;
}

/** How long a closing socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 1_000;

export class PeerSocket {
  owner: SocketOwner;
  /** What this end told the peer when it closed the socket. */
  closedWith: { readonly code: number; readonly reason: string } | undefined;
  private ended = false;
  private notified = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly ws: WebSocket,
    readonly direction: 'dialed' | 'accepted',
    /** Where the peer is, for logs and close reasons. */
    readonly remote: string,
    maxFrameBytes: number,
    owner: SocketOwner,
  ) {
    this.owner = owner;
    // ws refuses a message declared past maxPayload on its own as soon as it reads the length, by
    // calling close(1009) with no reason: give that close the reason every oversized frame gets.
    const closeSocket = ws.close.bind(ws);
    ws.close = (code?: number, data?: string | Buffer): void => {
      if (code === RemoteCloseCode.TooBig && data === undefined) {
        const reason = `frame too big: the limit is ${maxFrameBytes} bytes`;
        this.closedWith ??= { code, reason };
        closeSocket(code, closeReason(reason));
        return;
      }
      closeSocket(code, data);
    };
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.ended) return;
      if (!isBinary) {
        this.close(RemoteCloseCode.UnsupportedData, 'text frames are not part of this protocol: send binary RemoteFrames');
        return;
      }
      this.bytesIn += data.byteLength;
      this.owner.frame(this, data);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.ended = true;
      this.notify(this.closedWith?.code ?? code, this.closedWith?.reason ?? reason.toString('utf8'));
    });
    // Errors (a reset, a bad frame, a refused dial) are followed by 'close'; unheard they would throw.
    ws.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return !this.ended && this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes handed to the socket and not yet written to the kernel. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** `written` is called once the bytes are handed to the kernel (or the socket failed). */
  send(bytes: Uint8Array, written: (() => void) | undefined): void {
    if (!this.isOpen) return;
    this.bytesOut += bytes.byteLength;
    if (written === undefined) this.ws.send(bytes, { binary: true });
    else this.ws.send(bytes, { binary: true }, () => written());
  }

  /**
   * Closes with a code and a reason; frames that arrive afterwards are not read. The owner still
   * hears of the close once the socket is gone.
   */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.closedWith = { code, reason };
    this.ended = true;
    try {
      this.ws.close(code, closeReason(reason));
    } catch {
      this.ws.terminate();
      return;
    }
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
    // Told now, whatever the peer does with its half of the close handshake.
    this.notify(code, reason);
  }

  private notify(code: number, reason: string): void {
    if (this.notified) return;
    this.notified = true;
    this.owner.closed(this, code, reason);
  }

  /** Stops reading from the socket (TCP holds the peer back) until resume. */
  pause(): void {
    if (this.isOpen) this.ws.pause();
  }

  resume(): void {
    if (this.isOpen) this.ws.resume();
  }

  /** Cuts the socket without a close handshake. */
  terminate(): void {
    this.ended = true;
    this.ws.terminate();
  }
}
