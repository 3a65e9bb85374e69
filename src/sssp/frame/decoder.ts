// Decodes an SSSP frame into typed-array views onto the received bytes (copied once only when the
// bytes sit where a Float64Array view cannot start). Every size, count and value is checked
// against the buffer and the header first; untrusted bytes give a ProtocolError, never a throw.
import { fail, internal, ok, type Result } from '../../protocol/errors.ts';
import {
  DistanceEncoding,
  ENCODING_NAMES,
  KNOWN_FLAGS,
  MAX_ENTRIES,
  NO_NODE,
  SSSP_FRAME_VERSION,
  SSSP_HEADER_BYTES,
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

export interface SsspFrame {
  readonly kind: 'tree' | 'path';
  readonly encoding: DistanceEncodingName;
  readonly complete: boolean;
  readonly sorted: boolean;
  readonly gpu: boolean;
  readonly seq: number;
  readonly source: number;
  readonly graphVersion: number;
  readonly count: number;
  /** The path's end; undefined for a tree. */
  readonly target: number | undefined;
  readonly bound: number;
  readonly scale: number;
  readonly ids: Uint32Array;
  /** Parent id per entry (NO_NODE for the source); null for a path. */
  readonly parents: Uint32Array | null;
  /** The distances as sent: f64, f32, or u16 levels of scale / 65535. */
  readonly rawDistances: Float64Array | Float32Array | Uint16Array;
  readonly copied: boolean;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isSsspFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x56 && bytes[1] === 0x46 && bytes[2] === 0x53 && bytes[3] === 0x50;
}

export function decodeSsspFrame(input: Uint8Array): Result<SsspFrame> {
  try {
    return decode(input);
  } catch (err) {
    return internal(err);
  }
}

/** Distance of entry k as a number (u16 levels scaled back). */
export function distanceAt(frame: SsspFrame, k: number): number {
  const raw = frame.rawDistances[k]!;
  // The level's fraction first: raw * scale overflows to Infinity for a scale above MAX_VALUE / 65535.
  return frame.encoding === 'u16' ? (raw / U16_LEVELS) * frame.scale : raw;
}

/** All distances as float64 (a copy). */
export function distancesOf(frame: SsspFrame): Float64Array {
  const out = new Float64Array(frame.count);
  for (let k = 0; k < frame.count; k++) out[k] = distanceAt(frame, k);
  return out;
}

function decode(input: Uint8Array): Result<SsspFrame> {
  if (!littleEndian) return fail('UNSUPPORTED_PLATFORM', 'SSSP frames are viewed in place, which needs a little-endian host');
  if (input.byteLength < SSSP_HEADER_BYTES) return fail('TOO_SHORT', `frame of ${input.byteLength} bytes`);
  const copied = input.byteOffset % 8 !== 0;
  const bytes = copied ? input.slice() : input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(SsspOffset.magic, true) !== SSSP_MAGIC) return fail('BAD_IDENTIFIER', 'not an SSSP frame');
  const version = view.getUint8(SsspOffset.version);
  if (version !== SSSP_FRAME_VERSION) return fail('UNSUPPORTED_VERSION', `SSSP frame version ${version}`);
  const kindCode = view.getUint8(SsspOffset.kind);
  const encodingCode = view.getUint8(SsspOffset.encoding);
  const flags = view.getUint8(SsspOffset.flags);
  if (kindCode !== SsspFrameKind.Tree && kindCode !== SsspFrameKind.Path) return fail('UNKNOWN_ENUM', `frame kind ${kindCode}`);
  if (encodingCode > DistanceEncoding.U16) return fail('UNKNOWN_ENUM', `distance encoding ${encodingCode}`);
  if ((flags & ~KNOWN_FLAGS) !== 0) return fail('OUT_OF_RANGE', `unknown flags ${flags}`);
  const kind = kindCode as SsspFrameKind;
  const encoding = encodingCode as DistanceEncodingCode;
  const graphVersion = view.getBigUint64(SsspOffset.graphVersion, true);
  if (graphVersion > BigInt(Number.MAX_SAFE_INTEGER)) return fail('OUT_OF_RANGE', `graph version ${graphVersion}`);
  const count = view.getUint32(SsspOffset.count, true);
  if (count > MAX_ENTRIES) return fail('TOO_LARGE', `${count} entries`);
  if (count === 0) return fail('INCONSISTENT', 'a frame lists at least its source');
  const bound = view.getFloat64(SsspOffset.bound, true);
  const scale = view.getFloat64(SsspOffset.scale, true);
  if (!(bound >= 0)) return fail('OUT_OF_RANGE', `bound ${bound}`);
  if (!(scale >= 0) || !Number.isFinite(scale)) return fail('NOT_FINITE', `scale ${scale}`);
  const expected = frameBytes(kind, encoding, count);
  if (bytes.byteLength !== expected) return fail('OUT_OF_BOUNDS', `frame of ${bytes.byteLength} bytes, header implies ${expected}`);

  const source = view.getUint32(SsspOffset.source, true);
  const target = view.getUint32(SsspOffset.target, true);
  const buf = bytes.buffer;
  const at = bytes.byteOffset;
  const ids = new Uint32Array(buf, at + SSSP_HEADER_BYTES, count);
  const distAt = at + distanceOffset(kind, count);
  const raw =
    encoding === DistanceEncoding.F64
      ? new Float64Array(buf, distAt, count)
      : encoding === DistanceEncoding.F32
        ? new Float32Array(buf, distAt, count)
        : new Uint16Array(buf, distAt, count);
  if (ids[0] !== source) return fail('INCONSISTENT', `entry 0 is ${ids[0]}, not the source ${source}`);
  if (raw[0] !== 0) return fail('INCONSISTENT', 'the source is not at distance 0');
  const sorted = (flags & SsspFlag.Sorted) !== 0;
  const distErr = checkDistances(raw, encoding, scale, sorted || kind === SsspFrameKind.Path);
  if (distErr !== null) return fail('OUT_OF_RANGE', distErr);

  let parents: Uint32Array | null = null;
  if (kind === SsspFrameKind.Tree) {
    if (target !== NO_NODE) return fail('INCONSISTENT', 'a tree frame names a target');
    parents = new Uint32Array(buf, at + SSSP_HEADER_BYTES + 4 * count, count);
    if (parents[0] !== NO_NODE) return fail('INCONSISTENT', 'the source has a parent');
    for (let k = 1; k < count; k++) if (parents[k] === NO_NODE) return fail('INCONSISTENT', `entry ${k} has no parent`);
  } else {
    if (ids[count - 1] !== target) return fail('INCONSISTENT', `the path ends at ${ids[count - 1]}, not the target ${target}`);
    const padFrom = at + SSSP_HEADER_BYTES + 4 * count;
    for (let b = padFrom; b < distAt; b++) if (new Uint8Array(buf, b, 1)[0] !== 0) return fail('INCONSISTENT', 'non-zero padding');
  }
  return ok({
    kind: kind === SsspFrameKind.Tree ? 'tree' : 'path',
    encoding: ENCODING_NAMES[encoding]!,
    complete: (flags & SsspFlag.Complete) !== 0,
    sorted,
    gpu: (flags & SsspFlag.Gpu) !== 0,
    seq: view.getUint32(SsspOffset.seq, true),
    source,
    graphVersion: Number(graphVersion),
    count,
    target: kind === SsspFrameKind.Path ? target : undefined,
    bound,
    scale,
    ids,
    parents,
    rawDistances: raw,
    copied,
  });
}

function checkDistances(
  raw: Float64Array | Float32Array | Uint16Array,
  encoding: DistanceEncodingCode,
  scale: number,
  nondecreasing: boolean,
): string | null {
  let prev = 0;
  for (let k = 0; k < raw.length; k++) {
    const d = raw[k]!;
    if (encoding !== DistanceEncoding.U16 && !(d >= 0 && d <= scale)) return `distance ${d} of entry ${k} outside [0, ${scale}]`;
    if (nondecreasing && d < prev) return `distance of entry ${k} decreases`;
    prev = d;
  }
  return null;
}
