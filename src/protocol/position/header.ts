// The binary position frame: a raw layout rather than a FlatBuffers table, so that a receiver gets
// typed-array views straight onto the bytes it was handed. All fields little-endian.
//
//  offset size field
//   0     4    magic "VFPF" (never a valid Envelope: its bytes 4..7 are not "VFEN")
//   4     1    version, 1
//   5     1    kind: 0 keyframe, 1 delta
//   6     1    flags: bit 0 velocities present; bit 1 delta indices are a bitmap
//   7     1    reserved, 0
//   8     4    seq (u32): +1 for every frame sent to this subscriber
//  12     4    epoch (u32): the PositionIdTable whose indices this frame uses
//  16     4    count (u32): entries in this frame; a keyframe has one per id-table entry
//  20     4    tableSize (u32): entries in the id table
//  24    24    position box: min x, y, z then max x, y, z (f32)
//  48    24    velocity box, the same way, only when flag bit 0 is set
//  48|72       body
//
// Keyframe body: positions u16[3 * count] (x, y, z per entry, in id-table order), then velocities
// u16[3 * count] when flagged.
// Delta body: the moved indices, then positions u16[3 * count], then velocities u16[3 * count] when
// flagged; entries in ascending index order. Indices are either
//  - a bitmap (flag bit 1): ceil(tableSize / 8) bytes, bit (i & 7) of byte (i >> 3) set when index
//    i moved, bits past tableSize zero, padded with a zero byte to even length; or
//  - pages: u32[ceil(tableSize / 65536)] entries per page of 65536 indices, then u16[count] the low
//    16 bits of each index. 2 bytes per moved node at any table size, still viewable in place.
// Each u16 q maps to min + q * (max - min) / 65535 on its axis.

export const FRAME_MAGIC = 0x46504656; // "VFPF" read as a little-endian u32
export const FRAME_VERSION = 1;
export const FrameKind = { Keyframe: 0, Delta: 1 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
export const FLAG_VELOCITY = 1;
export const FLAG_BITMAP = 2;
export const HEADER_BYTES = 48;
export const VELOCITY_BOX_BYTES = 24;
export const PAGE_SIZE = 65536;
/** Largest id table a frame may index; matches the PositionIdTable schema bound. */
export const MAX_TABLE_SIZE = 16_777_216;

export const Offset = {
  magic: 0,
  version: 4,
  kind: 5,
  flags: 6,
  reserved: 7,
  seq: 8,
  epoch: 12,
  count: 16,
  tableSize: 20,
  box: 24,
  velocityBox: 48,
} as const;

export function pageCount(tableSize: number): number {
  return Math.ceil(tableSize / PAGE_SIZE);
}

/** Bitmap bytes including the padding byte that keeps the u16 arrays after it aligned. */
export function bitmapBytes(tableSize: number): number {
  const n = Math.ceil(tableSize / 8);
  return n + (n & 1);
}

export function bodyOffset(flags: number): number {
  return HEADER_BYTES + ((flags & FLAG_VELOCITY) !== 0 ? VELOCITY_BOX_BYTES : 0);
}
