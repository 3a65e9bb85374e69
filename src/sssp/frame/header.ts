// The SSSP frame: a raw layout (like the position frame) so that a receiver gets typed-array views
// straight onto the bytes. One frame carries either a shortest-path tree (every reached node with
// its distance and parent) or one path to highlight. All fields little-endian.
//
//  offset size field
//   0     4    magic "VFSP" (never a valid Envelope or position frame)
//   4     1    version, 1
//   5     1    kind: 0 tree, 1 path
//   6     1    distance encoding: 0 f64 (exact), 1 f32, 2 u16 quantised
//   7     1    flags: bit 0 complete (every node within the bound is listed), bit 1 sorted
//              (entries in nondecreasing distance), bit 2 computed on a GPU; other bits 0
//   8     4    seq (u32): +1 per frame sent to this subscriber
//  12     4    source node id (u32)
//  16     8    graph version (u64, at most 2^53 - 1): the one graph every entry belongs to
//  24     4    count (u32): entries
//  28     4    target node id (u32): the path's end; 0xFFFFFFFF in a tree frame
//  32     8    bound (f64): the query's maxDistance, +Infinity when none
//  40     8    scale (f64): no decoded distance exceeds it; for u16, q maps to q * scale / 65535
//  48          body
//
// Tree body: ids u32[count], parents u32[count] (0xFFFFFFFF for the source, which is entry 0),
//            then distances (f64 | f32 | u16)[count]. The distances start at 48 + 8 * count: 8-aligned.
// Path body: ids u32[count] from the source to the target, zero padding to a multiple of 8, then
//            the distance of each node along the path in the same encoding.
// Nodes absent from a complete tree are unreachable (or beyond the bound): their distance is infinite.
//
// u16 distances are for colouring: the viewer maps distance to a ramp of at most 1024 colours, so
// 65536 levels over [0, scale] change no pixel (lossless for the viewer) at a fifth of the f64 size
// per entry; paths stay exact because they follow ids and parents, never distances. Clients that
// want the numbers ask for f64.

export const SSSP_MAGIC = 0x50534656; // "VFSP" read as a little-endian u32
export const SSSP_FRAME_VERSION = 1;
export const SSSP_HEADER_BYTES = 48;
export const NO_NODE = 0xffffffff;
/** Largest entry count a frame may carry (the schema's vector bound). */
export const MAX_ENTRIES = 16_777_216;
export const U16_LEVELS = 65535;

export const SsspFrameKind = { Tree: 0, Path: 1 } as const;
export type SsspFrameKind = (typeof SsspFrameKind)[keyof typeof SsspFrameKind];

export const DistanceEncoding = { F64: 0, F32: 1, U16: 2 } as const;
export type DistanceEncodingCode = (typeof DistanceEncoding)[keyof typeof DistanceEncoding];
export type DistanceEncodingName = 'f64' | 'f32' | 'u16';
export const ENCODING_NAMES: readonly DistanceEncodingName[] = ['f64', 'f32', 'u16'];
export const BYTES_PER_DISTANCE = [8, 4, 2] as const;

export const SsspFlag = { Complete: 1, Sorted: 2, Gpu: 4 } as const;
export const KNOWN_FLAGS = 7;

export const SsspOffset = {
  magic: 0,
  version: 4,
  kind: 5,
  encoding: 6,
  flags: 7,
  seq: 8,
  source: 12,
  graphVersion: 16,
  count: 24,
  target: 28,
  bound: 32,
  scale: 40,
} as const;

/** Where the distances start. */
export function distanceOffset(kind: SsspFrameKind, count: number): number {
  const arrays = kind === SsspFrameKind.Tree ? 8 * count : 4 * count;
  return SSSP_HEADER_BYTES + Math.ceil(arrays / 8) * 8;
}

export function frameBytes(kind: SsspFrameKind, encoding: DistanceEncodingCode, count: number): number {
  return distanceOffset(kind, count) + BYTES_PER_DISTANCE[encoding] * count;
}
