// A VisionFlow client written the way a client in another language would be: from the FlatBuffers
// schemas (through the code flatc generated from them) and docs/protocol.md, and nothing else. The
// only project code it uses is src/protocol/generated; it has its own position-frame decoder and
// its own dequantisation, following the layout the page documents. The rule is checked by
// test/protocol/outsider-client.test.ts, which reads this file's imports.
import { Builder, ByteBuffer } from 'flatbuffers';
import WebSocket from 'ws';
import {
  Envelope,
  EnvelopeT,
  HandshakeT,
  KeyframeRequestT,
  Payload,
  type AckT,
  type ErrorReplyT,
  type GraphBatchT,
  type HandshakeAcceptedT,
  type PositionIdTableT,
  type SsspRequestT,
  type SsspResultT,
  type SubscribeT,
} from '../../../src/protocol/generated/envelope_generated.ts';
import { ClientKind } from '../../../src/protocol/generated/session_generated.ts';

// ---- the position frame, as docs/protocol.md lays it out ------------------------------------------

/** "VFPF": the first four bytes of every position frame. */
const FRAME_MAGIC = [0x56, 0x46, 0x50, 0x46] as const;
/** "VFEN": bytes 4..7 of every envelope (the FlatBuffers file identifier). */
const ENVELOPE_IDENTIFIER = [0x56, 0x46, 0x45, 0x4e] as const;
const HEADER_BYTES = 48;
const VELOCITY_BOX_BYTES = 24;
const FLAG_VELOCITY = 1;
const FLAG_BITMAP = 2;
const PAGE = 65536;
const LEVELS = 65535;

export interface PositionFrame {
  readonly kind: 'keyframe' | 'delta';
  readonly seq: number;
  readonly epoch: number;
  readonly count: number;
  readonly tableSize: number;
  /** [min x, y, z, max x, y, z] as float32 values read from the frame. */
  readonly box: readonly number[];
  readonly velocityBox: readonly number[] | null;
  /** Entry k of this frame stands for id-table index indices[k]. */
  readonly indices: Uint32Array;
  /** Raw 16-bit levels, x, y, z per entry. */
  readonly levels: Uint16Array;
  /** Dequantised positions, x, y, z per entry. */
  readonly positions: Float32Array;
  readonly velocities: Float32Array | null;
}

function startsWith(bytes: Uint8Array, at: number, expected: readonly number[]): boolean {
  return bytes.byteLength >= at + expected.length && expected.every((b, i) => bytes[at + i] === b);
}

export function isPositionFrame(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, FRAME_MAGIC);
}

export function isEnvelope(bytes: Uint8Array): boolean {
  return startsWith(bytes, 4, ENVELOPE_IDENTIFIER);
}

/** min + level * (max - min) / 65535, in double precision, rounded once to float32. */
function dequantise(level: number, min: number, max: number): number {
  return Math.fround(min + level * ((max - min) / LEVELS));
}

function readBox(view: DataView, at: number): number[] {
  const box: number[] = [];
  for (let i = 0; i < 6; i++) box.push(view.getFloat32(at + 4 * i, true));
  for (let a = 0; a < 3; a++) {
    if (!Number.isFinite(box[a]!) || !Number.isFinite(box[a + 3]!) || box[a]! > box[a + 3]!) {
      throw new Error(`frame box axis ${a} is [${box[a]}, ${box[a + 3]}]`);
    }
  }
  return box;
}

/** Decodes one position frame; throws on anything the documented layout does not allow. */
export function decodePositionFrame(bytes: Uint8Array): PositionFrame {
  if (bytes.byteLength < HEADER_BYTES || !isPositionFrame(bytes)) throw new Error('not a position frame');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  const kindByte = view.getUint8(5);
  const flags = view.getUint8(6);
  if (version !== 1) throw new Error(`frame version ${version}`);
  if (kindByte !== 0 && kindByte !== 1) throw new Error(`frame kind ${kindByte}`);
  if ((flags & ~(FLAG_VELOCITY | FLAG_BITMAP)) !== 0 || view.getUint8(7) !== 0) throw new Error(`frame flags ${flags}`);
  const kind = kindByte === 0 ? 'keyframe' : 'delta';
  if (kind === 'keyframe' && (flags & FLAG_BITMAP) !== 0) throw new Error('a keyframe with a bitmap');
  const seq = view.getUint32(8, true);
  const epoch = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const tableSize = view.getUint32(20, true);
  if (kind === 'keyframe' ? count !== tableSize : count > tableSize) throw new Error(`${count} entries for a table of ${tableSize}`);
  const withVelocity = (flags & FLAG_VELOCITY) !== 0;
  const box = readBox(view, 24);
  const velocityBox = withVelocity ? readBox(view, 48) : null;
  let at = HEADER_BYTES + (withVelocity ? VELOCITY_BOX_BYTES : 0);

  // Which id-table index each entry stands for.
  const indices = new Uint32Array(count);
  if (kind === 'keyframe') {
    for (let k = 0; k < count; k++) indices[k] = k;
  } else if ((flags & FLAG_BITMAP) !== 0) {
    const bitmapBytes = Math.ceil(tableSize / 8);
    const padded = bitmapBytes + (bitmapBytes % 2);
    if (bytes.byteLength < at + padded) throw new Error('frame too short for its bitmap');
    let k = 0;
    for (let i = 0; i < tableSize; i++) {
      if ((bytes[at + (i >> 3)]! & (1 << (i & 7))) === 0) continue;
      if (k >= count) throw new Error('bitmap marks more entries than the header says');
      indices[k++] = i;
    }
    if (k !== count) throw new Error(`bitmap marks ${k} entries, header says ${count}`);
    at += padded;
  } else {
    const pages = Math.ceil(tableSize / PAGE);
    if (bytes.byteLength < at + 4 * pages + 2 * count) throw new Error('frame too short for its index pages');
    let k = 0;
    for (let p = 0; p < pages; p++) {
      const inPage = view.getUint32(at + 4 * p, true);
      for (let j = 0; j < inPage; j++, k++) {
        if (k >= count) throw new Error('index pages hold more entries than the header says');
        indices[k] = p * PAGE + view.getUint16(at + 4 * pages + 2 * k, true);
      }
    }
    if (k !== count) throw new Error(`index pages hold ${k} entries, header says ${count}`);
    at += 4 * pages + 2 * count;
  }

  const expected = at + 6 * count * (withVelocity ? 2 : 1);
  if (bytes.byteLength !== expected) throw new Error(`frame of ${bytes.byteLength} bytes, layout says ${expected}`);
  const levels = new Uint16Array(3 * count);
  const positions = new Float32Array(3 * count);
  for (let j = 0; j < 3 * count; j++) {
    const level = view.getUint16(at + 2 * j, true);
    const axis = j % 3;
    levels[j] = level;
    positions[j] = dequantise(level, box[axis]!, box[axis + 3]!);
  }
  let velocities: Float32Array | null = null;
  if (velocityBox !== null) {
    velocities = new Float32Array(3 * count);
    const vAt = at + 6 * count;
    for (let j = 0; j < 3 * count; j++) {
      const axis = j % 3;
      velocities[j] = dequantise(view.getUint16(vAt + 2 * j, true), velocityBox[axis]!, velocityBox[axis + 3]!);
    }
  }
  return { kind, seq, epoch, count, tableSize, box, velocityBox, indices, levels, positions, velocities };
}

/** What a subscriber holds: the id table and the last position of every entry in it. */
export class PositionView {
  epoch = -1;
  ids: number[] = [];
  kinds: number[] = [];
  positions = new Float32Array(0);
  /** Seq of the last frame applied; -1 before the first keyframe of the current table. */
  lastSeq = -1;
  synced = false;

  setTable(table: PositionIdTableT): void {
    this.epoch = table.epoch;
    this.ids = [...table.ids];
    this.kinds = [...table.kinds];
    this.positions = new Float32Array(3 * this.ids.length);
    this.lastSeq = -1;
    this.synced = false;
  }

  /** Applies a frame: 'stale' when it is for another table, 'gap' when a delta does not follow on. */
  apply(frame: PositionFrame): 'applied' | 'gap' | 'stale' {
    if (frame.epoch !== this.epoch || frame.tableSize !== this.ids.length) return 'stale';
    if (frame.kind === 'delta' && (!this.synced || frame.seq !== (this.lastSeq + 1) >>> 0)) {
      this.synced = false;
      return 'gap';
    }
    for (let k = 0; k < frame.count; k++) {
      const i = frame.indices[k]!;
      this.positions[3 * i] = frame.positions[3 * k]!;
      this.positions[3 * i + 1] = frame.positions[3 * k + 1]!;
      this.positions[3 * i + 2] = frame.positions[3 * k + 2]!;
    }
    this.lastSeq = frame.seq;
    this.synced = true;
    return 'applied';
  }

  /** Position of graph node `id`, when the table holds it and a keyframe has arrived. */
  positionOf(id: number): [number, number, number] | undefined {
    const i = this.ids.indexOf(id);
    if (i < 0 || this.lastSeq < 0) return undefined;
    return [this.positions[3 * i]!, this.positions[3 * i + 1]!, this.positions[3 * i + 2]!];
  }
}

// ---- the connection ----------------------------------------------------------------------------

/** An envelope as received: its header fields and its payload unpacked into the object API. */
export interface Received {
  readonly seq: bigint;
  readonly correlationId: bigint;
  readonly type: Payload;
  readonly payload: EnvelopeT['payload'];
}

export interface FrameRecord {
  readonly frame: PositionFrame;
  readonly status: 'applied' | 'gap' | 'stale';
}

/** The payloads this client sends, with their union tags. */
export type Outgoing =
  | { readonly type: Payload.Subscribe; readonly payload: SubscribeT }
  | { readonly type: Payload.GraphBatch; readonly payload: GraphBatchT }
  | { readonly type: Payload.SsspRequest; readonly payload: SsspRequestT }
  | { readonly type: Payload.KeyframeRequest; readonly payload: KeyframeRequestT }
  | { readonly type: Payload.Handshake; readonly payload: HandshakeT };

export class OutsiderClient {
  readonly received: Received[] = [];
  readonly frames: FrameRecord[] = [];
  readonly view = new PositionView();
  /** Problems met while reading what the server sent (each one fails the test). */
  readonly problems: string[] = [];
  closed: { readonly code: number; readonly reason: string } | undefined;
  accepted: HandshakeAcceptedT | undefined;
  /** Highest sequenced (seq > 0) envelope seen: what a resume would name in resume_from. */
  lastSeq = 0n;
  private nextSeq = 1;
  private readonly builder = new Builder(1024);

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString('utf8') }));
    ws.on('error', () => undefined);
  }

  /** Opens ws://host:port/ws; the token travels in the Handshake, not on the URL. */
  static connect(url: string, timeoutMs: number): Promise<OutsiderClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const client = new OutsiderClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends one envelope; returns its seq, which the server's answers carry as correlation_id. */
  send(message: Outgoing): number {
    const seq = this.nextSeq++;
    const envelope = new EnvelopeT(1, BigInt(seq), 0n, null, null, null, message.type, message.payload);
    this.builder.clear();
    this.builder.finish(envelope.pack(this.builder), 'VFEN');
    this.ws.send(this.builder.asUint8Array(), { binary: true });
    return seq;
  }

  /** Sends the Handshake and waits for HandshakeAccepted (or the close that refuses the token). */
  async handshake(token: string, name: string, timeoutMs: number): Promise<HandshakeAcceptedT> {
    this.send({ type: Payload.Handshake, payload: new HandshakeT(token, ClientKind.Cli, 0n, name, null) });
    await this.waitFor(() => this.accepted ?? this.closed, timeoutMs, 'HandshakeAccepted');
    if (this.accepted === undefined) throw new Error(`handshake refused: ${this.closed?.code} ${this.closed?.reason}`);
    return this.accepted;
  }

  /** The answers to the request sent with `seq`. */
  answersTo(seq: number): Received[] {
    return this.received.filter((r) => r.correlationId === BigInt(seq));
  }

  /** Waits until `probe` returns something other than undefined, polling every 5 ms. */
  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Closes with 1000 (a goodbye: the server ends the session) and waits for the close. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed !== undefined) return;
    this.ws.close(1000, 'done');
    try {
      await this.waitFor(() => this.closed, timeoutMs, 'close');
    } catch {
      this.ws.terminate();
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      this.problems.push('a text message');
      return;
    }
    // A copy of its own, so that typed-array views of the generated code are aligned.
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(data);
    try {
      if (isPositionFrame(bytes)) return this.onFrame(decodePositionFrame(bytes));
      if (!isEnvelope(bytes)) throw new Error('neither a position frame nor an envelope');
      this.onEnvelope(Envelope.getRootAsEnvelope(new ByteBuffer(bytes)));
    } catch (error) {
      this.problems.push(error instanceof Error ? error.message : String(error));
    }
  }

  private onEnvelope(env: Envelope): void {
    if (env.version() !== 1) throw new Error(`envelope version ${env.version()}`);
    const unpacked = env.unpack();
    const received: Received = {
      seq: unpacked.seq,
      correlationId: unpacked.correlationId,
      type: unpacked.payloadType,
      payload: unpacked.payload,
    };
    if (received.seq > this.lastSeq) this.lastSeq = received.seq;
    this.received.push(received);
    if (received.type === Payload.HandshakeAccepted) this.accepted = received.payload as HandshakeAcceptedT;
    if (received.type === Payload.PositionIdTable) this.view.setTable(received.payload as PositionIdTableT);
  }

  private onFrame(frame: PositionFrame): void {
    const status = this.view.apply(frame);
    this.frames.push({ frame, status });
    // Lost its place in the stream: ask for a keyframe (the server sends one at once).
    if (status === 'gap')
      this.send({ type: Payload.KeyframeRequest, payload: new KeyframeRequestT(this.view.lastSeq >>> 0, this.view.epoch >>> 0) });
  }
}

export type { AckT, ErrorReplyT, SsspResultT };
