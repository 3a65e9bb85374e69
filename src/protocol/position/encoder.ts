// One encoder per subscriber stream. It remembers what the subscriber has reconstructed (float32,
// exactly as the decoder computes it), sends a keyframe first, every K frames, after forceKeyframe()
// (a subscriber reported a gap) and when the id table changes; otherwise a delta of the nodes that
// moved more than `threshold` on some axis from what the subscriber last saw. Measuring against the
// reconstructed position, not the previous frame, keeps slow drift from accumulating unseen.
import {
  FLAG_BITMAP,
  FLAG_VELOCITY,
  FRAME_MAGIC,
  FRAME_VERSION,
  FrameKind,
  MAX_TABLE_SIZE,
  Offset,
  bitmapBytes,
  bodyOffset,
  pageCount,
} from './header.ts';
import { dequantiseInto } from './dequantise.ts';
import { quantisePass } from './quantise-all.ts';
import { createMovedScanner, type MovedScanner } from './moved-scan.ts';
import { Q_MAX } from './quantise.ts';
import type { KernelPath } from './wasm-kernel.ts';

export interface PositionEncoderOptions {
  /** A keyframe at least every K frames (default 60: one a second at 60 Hz). */
  readonly keyframeInterval?: number;
  /** World units; 'auto' (default) is the largest extent of the last keyframe's box / 4096. */
  readonly threshold?: number | 'auto';
  /** Send velocities; only subscribers that asked for them pay the 6 bytes per node. */
  readonly velocity?: boolean;
  /** Where the hot loops run: WebAssembly SIMD where available ('auto', the default), or 'js'. */
  readonly kernels?: KernelPath;
}

export interface PositionSnapshot {
  /** Epoch of the id table that orders these arrays. */
  readonly epoch: number;
  /** x, y, z per id-table entry. */
  readonly positions: Float32Array;
  readonly velocities?: Float32Array;
  /**
   * A box the producer knows holds every position ([min x, y, z, max x, y, z]): the physics engine
   * has it from its octree's root. It saves the keyframe a pass; a box that turns out not to hold
   * every node is detected and replaced by the measured one, so a wrong hint costs time, not bytes.
   */
  readonly bounds?: ArrayLike<number>;
}

const AUTO_THRESHOLD_DIVISOR = 4096;

/**
 * A frame buffer. Under Node, Buffer.allocUnsafe skips zero-filling (every byte is written below,
 * the bitmap is cleared explicitly); frames of 4 KiB and more get an ArrayBuffer of their own, and
 * smaller ones sit 8-byte aligned in Node's pool. Elsewhere a plain Uint8Array.
 */
type Alloc = (size: number) => Uint8Array;
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafe: Alloc } }).Buffer;
const allocFrame: Alloc = nodeBuffer !== undefined ? (size) => nodeBuffer.allocUnsafe(size) : (size) => new Uint8Array(size);

export class PositionStreamEncoder {
  readonly keyframeInterval: number;
  private readonly fixedThreshold: number | null;
  private readonly withVelocity: boolean;
  private threshold = 0;
  private readonly kernels: KernelPath;
  /** Holds the mirror of what the subscriber reconstructed (`sent`) and finds the moved nodes. */
  private scanner: MovedScanner | null = null;
  private epoch = -1;
  private nextSeq = 0;
  private sinceKeyframe = 0;
  private forced = true;
  /** The last keyframe's box grown by a margin: usually still holds the next keyframe's nodes. */
  private guessBox: Float64Array | null = null;
  /** The last keyframe's values and box; `sent` is derived from them while `mirrorStale`. */
  private keyQ = new Uint16Array(0);
  private keyBox: Float64Array = new Float64Array(6);
  private mirrorStale = false;

  constructor(options: PositionEncoderOptions = {}) {
    this.keyframeInterval = options.keyframeInterval ?? 60;
    if (!Number.isInteger(this.keyframeInterval) || this.keyframeInterval < 1)
      throw new RangeError('keyframeInterval must be a positive integer');
    const t = options.threshold ?? 'auto';
    if (t !== 'auto' && !(t >= 0)) throw new RangeError('threshold must be >= 0');
    this.fixedThreshold = t === 'auto' ? null : t;
    this.withVelocity = options.velocity ?? false;
    this.kernels = options.kernels ?? 'auto';
  }

  /** The next frame will be a keyframe (the subscriber missed one, or asked). */
  forceKeyframe(): void {
    this.forced = true;
  }

  /** Positions as the subscriber has reconstructed them so far (read-only use, valid until the next encode). */
  get reconstructed(): Float32Array {
    if (this.scanner === null) return new Float32Array(0);
    this.refreshMirror(this.scanner);
    return this.scanner.sent;
  }

  private refreshMirror(scanner: MovedScanner): void {
    if (!this.mirrorStale) return;
    dequantiseAll(this.keyQ, this.keyBox, scanner.sent);
    this.mirrorStale = false;
  }

  /** The frame for this tick, or null when nothing moved past the threshold (no seq is used). */
  encode(snapshot: PositionSnapshot): Uint8Array | null {
    const { positions, epoch } = snapshot;
    if (positions.length % 3 !== 0) throw new RangeError('positions must hold x, y, z per node');
    const n = positions.length / 3;
    if (n > MAX_TABLE_SIZE) throw new RangeError(`at most ${MAX_TABLE_SIZE} nodes per stream`);
    const velocities = this.withVelocity ? (snapshot.velocities ?? null) : null;
    if (velocities !== null && velocities.length !== positions.length) throw new RangeError('velocities must match positions');
    const keyframe =
      this.forced ||
      epoch !== this.epoch ||
      this.scanner === null ||
      n * 3 !== this.scanner.sent.length ||
      this.sinceKeyframe >= this.keyframeInterval - 1;
    if (keyframe) return this.keyframe(positions, velocities, epoch, snapshot.bounds);
    return this.delta(positions, velocities, snapshot.bounds);
  }

  private header(bytes: Uint8Array, kind: FrameKind, flags: number, count: number, tableSize: number): DataView {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(Offset.magic, FRAME_MAGIC, true);
    view.setUint8(Offset.version, FRAME_VERSION);
    view.setUint8(Offset.kind, kind);
    view.setUint8(Offset.flags, flags);
    view.setUint8(Offset.reserved, 0);
    view.setUint32(Offset.seq, this.nextSeq >>> 0, true);
    view.setUint32(Offset.epoch, this.epoch >>> 0, true);
    view.setUint32(Offset.count, count, true);
    view.setUint32(Offset.tableSize, tableSize, true);
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    return view;
  }

  private keyframe(
    positions: Float32Array,
    velocities: Float32Array | null,
    epoch: number,
    bounds: ArrayLike<number> | undefined,
  ): Uint8Array {
    const n = positions.length / 3;
    if (this.scanner === null) this.scanner = createMovedScanner(n, this.kernels);
    else if (this.scanner.sent.length !== positions.length) this.scanner.resize(n);
    this.epoch = epoch;
    this.forced = false;
    this.sinceKeyframe = 0;
    const flags = velocities !== null ? FLAG_VELOCITY : 0;
    const body = bodyOffset(flags);
    const bytes = allocFrame(body + 6 * n * (velocities !== null ? 2 : 1));
    const view = this.header(bytes, FrameKind.Keyframe, flags, n, n);
    const at = bytes.byteOffset + body;
    const q = new Uint16Array(bytes.buffer, at, 3 * n);
    // One pass when the guessed box holds every node and is not much looser than the tight one (a
    // layout's extent changes slowly); otherwise a second pass with the tight box.
    let box: Float64Array;
    const path = this.kernels;
    const known = bounds === undefined ? null : finiteBoxOf(bounds);
    if (known !== null && quantisePass(positions, known, known, q, path).inside) {
      box = known;
    } else {
      box = this.guessBox ?? boxOfAll(positions);
      const tight = this.guessBox === null ? box : finiteTight(quantisePass(positions, box, box, q, path).tight, n);
      if (this.guessBox === null || !fits(box, tight)) {
        box = tight;
        quantisePass(positions, box, box, q, path);
      }
      this.guessBox = grow(tight);
    }
    // The mirror of what the subscriber reconstructs is derived from a copy of q when first needed
    // (the next delta), which keeps the keyframe itself to one pass over the positions.
    if (this.keyQ.length !== q.length) this.keyQ = new Uint16Array(q.length);
    this.keyQ.set(q);
    this.keyBox = box;
    this.mirrorStale = true;
    writeBox(view, Offset.box, box);
    if (velocities !== null) {
      const vbox = boxOfAll(velocities);
      writeBox(view, Offset.velocityBox, vbox);
      quantisePass(velocities, vbox, vbox, new Uint16Array(bytes.buffer, at + 6 * n, 3 * n), path);
    }
    this.threshold = this.fixedThreshold ?? Math.max(box[3]! - box[0]!, box[4]! - box[1]!, box[5]! - box[2]!) / AUTO_THRESHOLD_DIVISOR;
    return bytes;
  }

  private delta(positions: Float32Array, velocities: Float32Array | null, bounds: ArrayLike<number> | undefined): Uint8Array | null {
    const n = positions.length / 3;
    const scanner = this.scanner!;
    this.refreshMirror(scanner);
    const m = scanner.scan(positions, this.threshold);
    const sent = scanner.sent;
    const moved = scanner.moved;
    if (m === 0) return null;
    const pages = pageCount(n);
    const useBitmap = bitmapBytes(n) < 4 * pages + 2 * m;
    const indexBytes = useBitmap ? bitmapBytes(n) : 4 * pages + 2 * m;
    const velocityFlag = velocities !== null ? FLAG_VELOCITY : 0;
    const flags = velocityFlag | (useBitmap ? FLAG_BITMAP : 0);
    const body = bodyOffset(flags);
    const perNode = velocities !== null ? 12 : 6;
    // When nearly every node moved, the index makes the delta cost more than a keyframe (the same
    // bytes a node, no index): the keyframe is then the smaller frame, and it also resets drift.
    if (body + indexBytes + perNode * m >= bodyOffset(velocityFlag) + perNode * n)
      return this.keyframe(positions, velocities, this.epoch, bounds);
    this.sinceKeyframe++;
    const bytes = allocFrame(body + indexBytes + perNode * m);
    const view = this.header(bytes, FrameKind.Delta, flags, m, n);
    const at = bytes.byteOffset + body;
    const box = boxOf(positions, moved, m);
    writeBox(view, Offset.box, box);
    const posStart = at + indexBytes;
    const q = new Uint16Array(bytes.buffer, posStart, 3 * m);
    if (useBitmap) {
      const bitmap = new Uint8Array(bytes.buffer, at, indexBytes).fill(0);
      quantiseMoved(positions, moved, m, box, q, sent, bitmap, null, null);
    } else {
      const counts = new Uint32Array(bytes.buffer, at, pages).fill(0);
      const low = new Uint16Array(bytes.buffer, at + 4 * pages, m);
      quantiseMoved(positions, moved, m, box, q, sent, null, counts, low);
    }
    if (velocities !== null) {
      const vbox = boxOf(velocities, moved, m);
      writeBox(view, Offset.velocityBox, vbox);
      quantiseMoved(velocities, moved, m, vbox, new Uint16Array(bytes.buffer, posStart + 6 * m, 3 * m), null, null, null, null);
    }
    return bytes;
  }
}

/** A quantise pass's tight box as a frame box (throws on non-finite values, like finiteBox). */
function finiteTight(t: Float64Array, n: number): Float64Array {
  return finiteBox(n === 0, t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!);
}

/** [minx, miny, minz, maxx, maxy, maxz] over every node. */
function boxOfAll(v: Float32Array): Float64Array {
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;
  const n3 = v.length;
  for (let j = 0; j < n3; j += 3) {
    const x = v[j]!,
      y = v[j + 1]!,
      z = v[j + 2]!;
    x0 = x < x0 ? x : x0;
    x1 = x > x1 ? x : x1;
    y0 = y < y0 ? y : y0;
    y1 = y > y1 ? y : y1;
    z0 = z < z0 ? z : z0;
    z1 = z > z1 ? z : z1;
  }
  return finiteBox(n3 === 0, x0, y0, z0, x1, y1, z1);
}

/** The same over the first `count` nodes listed in idx. */
function boxOf(v: Float32Array, idx: Uint32Array, count: number): Float64Array {
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;
  for (let k = 0; k < count; k++) {
    const j = 3 * idx[k]!;
    const x = v[j]!,
      y = v[j + 1]!,
      z = v[j + 2]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  return finiteBox(count === 0, x0, y0, z0, x1, y1, z1);
}

function finiteBox(empty: boolean, x0: number, y0: number, z0: number, x1: number, y1: number, z1: number): Float64Array {
  if (empty) return new Float64Array(6);
  // + 0 turns a -0 bound into +0: which zero a min or max keeps depends on the order it saw them.
  const box = Float64Array.of(x0 + 0, y0 + 0, z0 + 0, x1 + 0, y1 + 0, z1 + 0);
  // Comparisons are false for NaN, so check the values that reached the box.
  for (const b of box) if (!Number.isFinite(b)) throw new RangeError('positions and velocities must be finite');
  return box;
}

/** A producer's bounds as a box, or null when they are not six finite numbers with min <= max. */
function finiteBoxOf(bounds: ArrayLike<number>): Float64Array | null {
  if (bounds.length !== 6) return null;
  // The frame carries the box as float32: quantise against exactly what the decoder will read. A
  // rounding that cuts a node off is caught by the inside check and the measured box is used.
  const box = Float64Array.from(bounds, (b) => Math.fround(b));
  for (let a = 0; a < 3; a++) {
    if (!Number.isFinite(box[a]!) || !Number.isFinite(box[a + 3]!) || box[a]! > box[a + 3]!) return null;
  }
  return box;
}

/** Grows a box by 1/256 of its largest extent on every side, rounded outwards to float32. */
function grow(box: Float64Array): Float64Array {
  const margin = Math.max(box[3]! - box[0]!, box[4]! - box[1]!, box[5]! - box[2]!) / 256;
  const out = new Float64Array(6);
  for (let a = 0; a < 3; a++) {
    out[a] = Math.fround(box[a]! - margin);
    out[a + 3] = Math.fround(box[a + 3]! + margin);
  }
  return out;
}

/** The guess contains the tight box and costs at most ~2% precision on each axis. */
function fits(guess: Float64Array, tight: Float64Array): boolean {
  for (let a = 0; a < 3; a++) {
    if (guess[a]! > tight[a]! || guess[a + 3]! < tight[a + 3]!) return false;
    const loose = guess[a + 3]! - guess[a]!;
    const exact = tight[a + 3]! - tight[a]!;
    if (loose > exact * 1.02 + 1e-30) return false;
  }
  return true;
}

function writeBox(view: DataView, at: number, box: Float64Array): void {
  for (let a = 0; a < 6; a++) view.setFloat32(at + 4 * a, box[a]!, true);
}

/** What the decoder makes of keyframe values q quantised against `box`, written into recon. */
function dequantiseAll(q: Uint16Array, box: Float64Array, recon: Float32Array): void {
  const mx = box[0]!,
    my = box[1]!,
    mz = box[2]!;
  dequantiseInto(q, mx, my, mz, (box[3]! - mx) / Q_MAX, (box[4]! - my) / Q_MAX, (box[5]! - mz) / Q_MAX, recon);
}

/**
 * Quantises the nodes at float offsets idx[0..count) (3 * index each) against `box` into q; with
 * `recon` also writes what the decoder will reconstruct, and with a bitmap or page counts plus low
 * halves also records their indices, all in the one gather over the moved nodes.
 */
function quantiseMoved(
  v: Float32Array,
  idx: Uint32Array,
  count: number,
  box: Float64Array,
  q: Uint16Array,
  recon: Float32Array | null,
  bitmap: Uint8Array | null,
  counts: Uint32Array | null,
  low: Uint16Array | null,
): void {
  const mx = box[0]!,
    my = box[1]!,
    mz = box[2]!;
  const ex = box[3]! - mx,
    ey = box[4]! - my,
    ez = box[5]! - mz;
  const sx = ex > 0 ? Q_MAX / ex : 0,
    sy = ey > 0 ? Q_MAX / ey : 0,
    sz = ez > 0 ? Q_MAX / ez : 0;
  const tx = ex / Q_MAX,
    ty = ey / Q_MAX,
    tz = ez / Q_MAX;
  for (let k = 0, o = 0; k < count; k++, o += 3) {
    const i = idx[k]!;
    const j = 3 * i;
    const qx = ((v[j]! - mx) * sx + 0.5) | 0;
    const qy = ((v[j + 1]! - my) * sy + 0.5) | 0;
    const qz = ((v[j + 2]! - mz) * sz + 0.5) | 0;
    q[o] = qx;
    q[o + 1] = qy;
    q[o + 2] = qz;
    if (recon !== null) {
      recon[j] = mx + qx * tx;
      recon[j + 1] = my + qy * ty;
      recon[j + 2] = mz + qz * tz;
    }
    if (bitmap !== null) bitmap[i >> 3]! |= 1 << (i & 7);
    else if (counts !== null && low !== null) {
      counts[i >>> 16]!++;
      low[k] = i & 0xffff;
    }
  }
}
