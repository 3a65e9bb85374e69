// A hand-driven peer for the hostile tests: a bare WebSocket that sends whatever frames a test
// builds (a correct handshake, then anything at all) and records what it gets back and how the
// other end closed it. Its waits are bounded but generous: on a loaded 2-core machine a
// connection can take seconds.
import WebSocket from 'ws';
import type { RemoteFrame } from '../../../../src/protocol/generated/vf/remote-frame.ts';
import { CodecRegistry } from '../../../../src/runtime/remote/codec-registry.ts';
import { readFrame, safeU64 } from '../../../../src/protocol/remote/frame-reader.ts';
import { helloFrame, proofFrame, type PeerKind } from '../../../../src/protocol/remote/handshake-frames.ts';
import { FrameWriter } from '../../../../src/runtime/remote/frame-writer.ts';
import { newIncarnation, newNonce, proofOf } from '../../../../src/runtime/remote/handshake.ts';
import { workerCodecs } from '../../../fixtures/remote-worker.ts';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface RawEnvelope {
  readonly recipient: string;
  readonly sender?: string;
  readonly message: { readonly kind: string; readonly [field: string]: unknown };
}

const codecs = new CodecRegistry(workerCodecs);
/** Refs inside raw messages are written as the path they carry. */
const pathsAsGiven = { pathOf: (ref: { readonly path: string }): string => ref.path };

/** One frame of envelopes numbered from `firstSeq`, built the way the transport builds them. */
export function envelopeFrame(envelopes: readonly RawEnvelope[], firstSeq: number, ack = 0): Uint8Array {
  const writer = new FrameWriter(1024);
  envelopes.forEach((e, i) =>
    writer.add(firstSeq + i, e.recipient, e.sender, 0, codecs.forMessage(e.message), e.message, pathsAsGiven, undefined, undefined),
  );
  return writer.finish(ack, undefined).bytes;
}

export class RawPeer {
  readonly frames: RemoteFrame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const read = readFrame(new Uint8Array(data), 1 << 24);
      if (read.ok) this.frames.push(read.value);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  static connect(url: string, limitMs = 30_000): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 26 });
      const timer = setTimeout(() => reject(new Error(`no connection to ${url} within ${limitMs} ms`)), limitMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new RawPeer(ws));
      });
      ws.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  send(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** The next frame received (or the close, as an error). */
  async next(limitMs = 30_000): Promise<RemoteFrame> {
    const start = Date.now();
    while (this.frames.length === 0) {
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error(`closed: ${JSON.stringify(await this.closed)}`);
      if (Date.now() - start > limitMs) throw new Error(`no frame within ${limitMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames.shift()!;
  }

  /** The other end's close, within `limitMs`. */
  async closeOf(limitMs = 30_000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`not closed within ${limitMs} ms`)), limitMs)),
    );
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Completes a handshake as `address` (a node proving `secret`, or an agent presenting `token`)
   * with the system `to`; returns that system's incarnation.
   */
  async handshake(options: {
    address: string;
    to: string;
    kind: PeerKind;
    secret?: Uint8Array;
    token?: string;
    incarnation?: number;
  }): Promise<number> {
    const incarnation = options.incarnation ?? newIncarnation();
    const nonce = newNonce();
    this.send(
      helloFrame({ kind: options.kind, address: options.address, toAddress: options.to, incarnation, nonce, token: options.token }),
    );
    const challenge = (await this.next()).challenge();
    if (challenge === null) throw new Error('expected a challenge');
    const acceptorIncarnation = safeU64(challenge.incarnation());
    const proof =
      options.secret === undefined
        ? undefined
        : proofOf(options.secret, 'dialer', {
            version: challenge.version(),
            dialer: options.address,
            dialerIncarnation: incarnation,
            acceptor: options.to,
            acceptorIncarnation,
            dialerNonce: nonce,
            acceptorNonce: challenge.nonceArray()!,
          });
    this.send(proofFrame(proof, 0));
    const welcome = (await this.next()).welcome();
    if (welcome === null) throw new Error('expected a welcome');
    return acceptorIncarnation;
  }

  close(): void {
    this.ws.terminate();
  }
}
