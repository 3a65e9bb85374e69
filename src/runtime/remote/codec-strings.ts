// A string into a FlatBuffers builder for codecs. flatbuffers' createString runs every string
// through TextEncoder, an allocation per call; the strings of actor messages are mostly short and
// ASCII (ids, names, paths), and those are copied here straight into the builder's buffer: the
// layout createString writes (the bytes, a terminating zero, the length in front), by the same
// steps, in one pass that checks each character as it copies it (a string that turns out not to
// be ASCII is taken back and handed to createString). It reaches the builder's `space` and `bb`
// (private in the typings, public in the JavaScript) of the exact flatbuffers version this
// project pins; a test checks the bytes against createString.
import type { Builder, ByteBuffer } from 'flatbuffers';

/** Longest string copied by hand; longer ones go through createString. */
const SHORT = 256;

interface BuilderInternals {
  space: number;
  bb: ByteBuffer;
}

export function writeString(b: Builder, s: string): number {
  const n = s.length;
  if (n > SHORT) return b.createString(s);
  const inner = b as unknown as BuilderInternals;
  const before = b.offset();
  b.addInt8(0);
  b.startVector(1, n, 1);
  const bytes = inner.bb.bytes();
  const at = inner.space - n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      // Not ASCII: back to where the string began (the buffer may have grown since: offsets
      // count from its end), and the UTF-8 encoder's way.
      inner.space = inner.bb.capacity() - before;
      return b.createString(s);
    }
    bytes[at + i] = c;
  }
  inner.space = at;
  return b.endVector();
}
