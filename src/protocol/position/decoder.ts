// Decodes a position frame into typed-array views onto the received bytes: nothing is copied unless
// the bytes sit at an offset a Uint32Array/Float32Array view cannot start at (then once). Every
// size, count and index is checked against the buffer and the header first; nothing throws.
import { fail, internal, ok, type Result } from '../errors.ts';
import {
  FLAG_BITMAP,
  FLAG_VELOCITY,
  FRAME_MAGIC,
  FRAME_VERSION,
  FrameKind,
  HEADER_BYTES,
  MAX_TABLE_SIZE,
  Offset,
  PAGE_SIZE,
  bitmapBytes,
  bodyOffset,
  pageCount,
} from './header.ts';

export interface PositionFrame {
  readonly kind: 'keyframe' | 'delta';
  readonly seq: number;
  readonly epoch: number;
  /** Entries in this frame. */
  readonly count: number;
  readonly tableSize: number;
  /** [min x, y, z, max x, y, z]. */
  readonly box: Float32Array;
  readonly velocityBox: Float32Array | null;
  /** Quantised x, y, z per entry. */
  readonly positions: Uint16Array;
  readonly velocities: Uint16Array | null;
  /** Delta indices: a bitmap, or pages plus low 16 bits; null for keyframes. */
  readonly bitmap: Uint8Array | null;
  readonly pageCounts: Uint32Array | null;
  readonly indexLow: Uint16Array | null;
  /** True when the input was misaligned and had to be copied. */
  readonly copied: boolean;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x !== 0; x >>= 1) c += x & 1;
  return c;
});

export function isPositionFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x56 && bytes[1] === 0x46 && bytes[2] === 0x50 && bytes[3] === 0x46;
}

export function decodeFrame(input: Uint8Array): Result<PositionFrame> {
  try {
    return decode(input);
  } catch (err) {
    return internal(err);
  }
}

function decode(input: Uint8Array): Result<PositionFrame> {
  if (!littleEndian) return fail('UNSUPPORTED_PLATFORM', 'position frames are viewed in place, which needs a little-endian host');
  if (input.byteLength < HEADER_BYTES) return fail('TOO_SHORT', `frame of ${input.byteLength} bytes`);
  const copied = input.byteOffset % 4 !== 0;
  const bytes = copied ? input.slice() : input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(Offset.magic, true) !== FRAME_MAGIC) return fail('BAD_IDENTIFIER', 'not a position frame');
  if (view.getUint8(Offset.version) !== FRAME_VERSION) return fail('UNSUPPORTED_VERSION', `frame version ${view.getUint8(Offset.version)}`);
  const kind = view.getUint8(Offset.kind);
  const flags = view.getUint8(Offset.flags);
  if (kind !== FrameKind.Keyframe && kind !== FrameKind.Delta) return fail('UNKNOWN_ENUM', `frame kind ${kind}`);
  if ((flags & ~(FLAG_VELOCITY | FLAG_BITMAP)) !== 0 || view.getUint8(Offset.reserved) !== 0) {
    return fail('OUT_OF_RANGE', `unknown flags ${flags}`);
  }
  if (kind === FrameKind.Keyframe && (flags & FLAG_BITMAP) !== 0) return fail('INCONSISTENT', 'keyframe with delta indices');
  const count = view.getUint32(Offset.count, true);
  const tableSize = view.getUint32(Offset.tableSize, true);
  if (tableSize > MAX_TABLE_SIZE) return fail('TOO_LARGE', `id table of ${tableSize}`);
  if (kind === FrameKind.Keyframe ? count !== tableSize : count > tableSize) {
    return fail('INCONSISTENT', `${count} entries for an id table of ${tableSize}`);
  }
  const velocity = (flags & FLAG_VELOCITY) !== 0;
  const body = bodyOffset(flags);
  if (bytes.byteLength < body) return fail('TOO_SHORT', `frame of ${bytes.byteLength} bytes, header needs ${body}`);
  const boxErr = checkBox(view, Offset.box) ?? (velocity ? checkBox(view, Offset.velocityBox) : null);
  if (boxErr !== null) return fail('NOT_FINITE', boxErr);

  const bitmap = kind === FrameKind.Delta && (flags & FLAG_BITMAP) !== 0;
  const pages = kind === FrameKind.Delta && !bitmap ? pageCount(tableSize) : 0;
  const indexBytes = kind === FrameKind.Keyframe ? 0 : bitmap ? bitmapBytes(tableSize) : 4 * pages + 2 * count;
  const expected = body + indexBytes + 6 * count * (velocity ? 2 : 1);
  if (bytes.byteLength !== expected) return fail('OUT_OF_BOUNDS', `frame of ${bytes.byteLength} bytes, header implies ${expected}`);

  const at = bytes.byteOffset;
  const buf = bytes.buffer;
  let bitmapView: Uint8Array | null = null;
  let pageCounts: Uint32Array | null = null;
  let indexLow: Uint16Array | null = null;
  if (bitmap) {
    bitmapView = new Uint8Array(buf, at + body, indexBytes);
    const err = checkBitmap(bitmapView, tableSize, count);
    if (err !== null) return fail('INCONSISTENT', err);
  } else if (kind === FrameKind.Delta) {
    pageCounts = new Uint32Array(buf, at + body, pages);
    indexLow = new Uint16Array(buf, at + body + 4 * pages, count);
    const err = checkPages(pageCounts, indexLow, tableSize, count);
    if (err !== null) return fail('INCONSISTENT', err);
  }
  const posAt = at + body + indexBytes;
  return ok({
    kind: kind === FrameKind.Keyframe ? 'keyframe' : 'delta',
    seq: view.getUint32(Offset.seq, true),
    epoch: view.getUint32(Offset.epoch, true),
    count,
    tableSize,
    box: new Float32Array(buf, at + Offset.box, 6),
    velocityBox: velocity ? new Float32Array(buf, at + Offset.velocityBox, 6) : null,
    positions: new Uint16Array(buf, posAt, 3 * count),
    velocities: velocity ? new Uint16Array(buf, posAt + 6 * count, 3 * count) : null,
    bitmap: bitmapView,
    pageCounts,
    indexLow,
    copied,
  });
}

function checkBox(view: DataView, at: number): string | null {
  for (let a = 0; a < 3; a++) {
    const min = view.getFloat32(at + 4 * a, true);
    const max = view.getFloat32(at + 12 + 4 * a, true);
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) return `box axis ${a}: [${min}, ${max}]`;
  }
  return null;
}

function checkBitmap(bits: Uint8Array, tableSize: number, count: number): string | null {
  let set = 0;
  for (let b = 0; b < bits.length; b++) set += POPCOUNT[bits[b]!]!;
  if (set !== count) return `bitmap marks ${set} indices, header says ${count}`;
  // Bits past the table (and the padding byte) must be clear.
  const full = tableSize >> 3;
  const rest = tableSize & 7;
  if (rest !== 0 && bits[full]! >> rest !== 0) return 'bitmap marks an index past the id table';
  for (let b = full + (rest !== 0 ? 1 : 0); b < bits.length; b++) if (bits[b] !== 0) return 'bitmap marks an index past the id table';
  return null;
}

function checkPages(counts: Uint32Array, low: Uint16Array, tableSize: number, count: number): string | null {
  let k = 0;
  for (let p = 0; p < counts.length; p++) {
    const c = counts[p]!;
    const pageLen = Math.min(PAGE_SIZE, tableSize - p * PAGE_SIZE);
    if (c > pageLen || k + c > count) return `page ${p} claims ${c} entries`;
    let prev = -1;
    for (const end = k + c; k < end; k++) {
      const i = low[k]!;
      if (i <= prev || i >= pageLen) return `index ${p * PAGE_SIZE + i} out of order or past the id table`;
      prev = i;
    }
  }
  return k === count ? null : `pages hold ${k} entries, header says ${count}`;
}
