// Encodes SSSP results as frames (header.ts): the tree of every reached node, or one path.
import type { SsspResult } from '../engine.ts';
import { pathIndices } from '../paths.ts';
import {
  DistanceEncoding,
  ENCODING_NAMES,
  NO_NODE,
  SSSP_FRAME_VERSION,
  SSSP_MAGIC,
  SsspFlag,
  SsspFrameKind,
  SsspOffset,
  U16_LEVELS,
  distanceOffset,
  frameBytes,
  type DistanceEncodingCode,
  type DistanceEncodingName,
} from './header.ts';

export interface FrameOptions {
  readonly seq: number;
  /** Default u16: enough for colouring; f64 when the client wants exact numbers. */
  readonly encoding?: DistanceEncodingName;
}

function encodingCode(name: DistanceEncodingName | undefined): DistanceEncodingCode {
  const code = ENCODING_NAMES.indexOf(name ?? 'u16');
  if (code < 0) throw new RangeError(`unknown distance encoding ${String(name)}`);
  return code as DistanceEncodingCode;
}

function writeHeader(
  view: DataView,
  kind: SsspFrameKind,
  encoding: DistanceEncodingCode,
  result: SsspResult,
  seq: number,
  count: number,
  target: number,
  scale: number,
): void {
  view.setUint32(SsspOffset.magic, SSSP_MAGIC, true);
  view.setUint8(SsspOffset.version, SSSP_FRAME_VERSION);
  view.setUint8(SsspOffset.kind, kind);
  view.setUint8(SsspOffset.encoding, encoding);
  let flags = 0;
  if (result.complete) flags |= SsspFlag.Complete;
  if (result.sorted || kind === SsspFrameKind.Path) flags |= SsspFlag.Sorted;
  if (result.engine === 'gpu') flags |= SsspFlag.Gpu;
  view.setUint8(SsspOffset.flags, flags);
  view.setUint32(SsspOffset.seq, seq >>> 0, true);
  view.setUint32(SsspOffset.source, result.source, true);
  view.setBigUint64(SsspOffset.graphVersion, BigInt(result.version), true);
  view.setUint32(SsspOffset.count, count, true);
  view.setUint32(SsspOffset.target, target, true);
  view.setFloat64(SsspOffset.bound, result.maxDistance, true);
  view.setFloat64(SsspOffset.scale, scale, true);
}

/** Writes distances of `indices` into the frame in the chosen encoding; returns nothing. */
function writeDistances(
  buf: ArrayBuffer,
  at: number,
  encoding: DistanceEncodingCode,
  distance: Float64Array,
  indices: ArrayLike<number>,
  scale: number,
): void {
  const n = indices.length;
  if (encoding === DistanceEncoding.F64) {
    const out = new Float64Array(buf, at, n);
    for (let k = 0; k < n; k++) out[k] = distance[indices[k]!]!;
  } else if (encoding === DistanceEncoding.F32) {
    const out = new Float32Array(buf, at, n);
    for (let k = 0; k < n; k++) out[k] = distance[indices[k]!]!;
  } else {
    const out = new Uint16Array(buf, at, n);
    const f = scale > 0 ? U16_LEVELS / scale : 0;
    for (let k = 0; k < n; k++) out[k] = Math.min(U16_LEVELS, Math.round(distance[indices[k]!]! * f));
  }
}

/** The largest distance among `indices`, as the encoding will represent it (f32 rounds). */
function scaleOf(encoding: DistanceEncodingCode, distance: Float64Array, indices: ArrayLike<number>): number {
  let max = 0;
  for (let k = 0; k < indices.length; k++) {
    const d = distance[indices[k]!]!;
    if (d > max) max = d;
  }
  return encoding === DistanceEncoding.F32 ? Math.fround(max) : max;
}

/** Every reached node of `result` (the source first) with its distance and parent. */
export function encodeTreeFrame(result: SsspResult, options: FrameOptions): Uint8Array {
  const encoding = encodingCode(options.encoding);
  const order = result.order;
  const count = order.length;
  const bytes = new Uint8Array(frameBytes(SsspFrameKind.Tree, encoding, count));
  const buf = bytes.buffer;
  const scale = scaleOf(encoding, result.distance, order);
  writeHeader(new DataView(buf), SsspFrameKind.Tree, encoding, result, options.seq, count, NO_NODE, scale);
  const ids = new Uint32Array(buf, 48, count);
  const parents = new Uint32Array(buf, 48 + 4 * count, count);
  const idOf = result.ids;
  const parent = result.parent;
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    ids[k] = idOf[i]!;
    const p = parent[i]!;
    parents[k] = p < 0 ? NO_NODE : idOf[p]!;
  }
  writeDistances(buf, distanceOffset(SsspFrameKind.Tree, count), encoding, result.distance, order, scale);
  return bytes;
}

/** The path from the source to `targetIndex`, or null when the target was not reached. */
export function encodePathFrame(result: SsspResult, targetIndex: number, options: FrameOptions): Uint8Array | null {
  const path = pathIndices(result, targetIndex);
  if (path === null) return null;
  const encoding = encodingCode(options.encoding);
  const count = path.length;
  const bytes = new Uint8Array(frameBytes(SsspFrameKind.Path, encoding, count));
  const buf = bytes.buffer;
  const scale = scaleOf(encoding, result.distance, path);
  writeHeader(new DataView(buf), SsspFrameKind.Path, encoding, result, options.seq, count, result.ids[targetIndex]!, scale);
  const ids = new Uint32Array(buf, 48, count);
  for (let k = 0; k < count; k++) ids[k] = result.ids[path[k]!]!;
  writeDistances(buf, distanceOffset(SsspFrameKind.Path, count), encoding, result.distance, path, scale);
  return bytes;
}
