// A string into a FlatBuffers builder for codecs. flatbuffers' createString runs every string
// through TextEncoder, an allocation per call; the strings of actor messages are mostly short and
// ASCII (ids, names, paths), and those are copied here straight into the builder's buffer: the
// layout createString writes (the bytes, a terminating zero, the length in front), by the same
// steps. It reaches the builder's `space` (private in the typings, public in the JavaScript) of
// the exact flatbuffers version this project pins; a test checks the bytes against createString.
import type { Builder } from 'flatbuffers';

/** Longest string copied by hand; longer ones go through createString. */
const SHORT = 256;

export function writeString(b: Builder, s: string): number {
  const n = s.length;
  if (n > SHORT) return b.createString(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return b.createString(s);
  b.addInt8(0);
  b.startVector(1, n, 1);
  const builder = b as unknown as { space: number };
  const bytes = b.dataBuffer().bytes();
  let at = (builder.space -= n);
  for (let i = 0; i < n; i++) bytes[at++] = s.charCodeAt(i);
  return b.endVector();
}
