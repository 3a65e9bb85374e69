// A string into a FlatBuffers builder for codecs. flatbuffers' createString runs every string
// through TextEncoder, an allocation per call; the strings of actor messages are mostly short and
// ASCII (ids, names, paths), and those are copied here straight into the builder's buffer: the
// layout createString writes (the bytes, a terminating zero, the length in front, the padding
// before them), in one pass that checks each character as it copies it (a string that turns out
// not to be ASCII is handed to createString, nothing written yet). It reaches the builder's
// `space`, `bb`, `minalign` and `isNested` (private in the typings, public in the JavaScript) of
// the exact flatbuffers version this project pins; a test checks the bytes against createString.
import type { Builder, ByteBuffer } from 'flatbuffers';

/** Longest string copied by hand; longer ones go through createString. */
const SHORT = 256;

interface BuilderInternals {
  space: number;
  bb: ByteBuffer;
  minalign: number;
  isNested: boolean;
}

export function writeString(b: Builder, s: string): number {
  const n = s.length;
  if (n > SHORT) return b.createString(s);
  const inner = b as unknown as BuilderInternals;
  const bytes = inner.bb.bytes();
  // What createString's steps come to: a zero, padding so that the length lands 4-aligned, the
  // bytes, the length. The padding and room are worked out here at once; when the buffer must
  // grow (or a table is open, which createString refuses), its own steps run instead.
  const used = bytes.length - inner.space;
  const pad = -(used + 1 + n) & 3;
  const room = 1 + pad + n + 4;
  if (inner.space < room || inner.isNested) return writeStringStepwise(b, inner, s);
  let at = inner.space - 1 - pad - n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return b.createString(s);
    bytes[at + i] = c;
  }
  // Only now is anything written outside the free space: a string that is not ASCII left no trace.
  for (let i = at + n; i < inner.space; i++) bytes[i] = 0;
  if (inner.minalign < 4) inner.minalign = 4;
  at -= 4;
  bytes[at] = n;
  bytes[at + 1] = n >> 8;
  bytes[at + 2] = n >> 16;
  bytes[at + 3] = n >> 24;
  inner.space = at;
  return bytes.length - at;
}

/** writeString through the builder's own steps (they grow the buffer as needed). */
function writeStringStepwise(b: Builder, inner: BuilderInternals, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return b.createString(s);
  b.addInt8(0);
  b.startVector(1, n, 1);
  const bytes = inner.bb.bytes();
  const at = inner.space - n;
  for (let i = 0; i < n; i++) bytes[at + i] = s.charCodeAt(i);
  inner.space = at;
  return b.endVector();
}
