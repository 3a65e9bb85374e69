// The FlatBuffers builder a batch of envelopes is written into: flatbuffers' own Builder with its
// endObject (closing every table: the envelope's and each payload's) done in fewer steps. The
// generic endObject writes the vtable a 16-bit entry at a time, each through prep() (alignment and
// growth checks), then looks for an identical vtable written earlier through ByteBuffer reads
// and takes its own back; here the entries it would write are compared straight in the bytes
// first, and a vtable is written (its room made once) only when none matches. The
// bytes are the same, the same vtables are shared (the first identical one, as flatbuffers picks),
// so every codec's generated code writes exactly what it would into a plain Builder; a test checks
// whole frames against one. It reaches the builder's state (private in the typings, public in the
// JavaScript) of the exact flatbuffers version this project pins.
import { Builder, type ByteBuffer } from 'flatbuffers';

interface BuilderInternals {
  bb: ByteBuffer;
  space: number;
  vtable: number[] | null;
  vtable_in_use: number;
  isNested: boolean;
  object_start: number;
  vtables: number[];
}

export class BatchBuilder extends Builder {
  override endObject(): number {
    const self = this as unknown as BuilderInternals;
    const vtable = self.vtable;
    if (vtable === null || !self.isNested) throw new Error('FlatBuffers: endObject called without startObject');
    this.addInt32(0);
    const vtableloc = this.offset();
    let i = self.vtable_in_use - 1;
    while (i >= 0 && vtable[i] === 0) i--;
    const trimmed = i + 1;
    const len = (trimmed + 2) * 2;
    const tableSize = vtableloc - self.object_start;
    // An identical vtable written earlier: the table points at it and nothing more is written (the
    // dedup keeps every vtable distinct, so the first match is the only one). Compared entry by
    // entry against what would be written, before writing anything.
    const bb = self.bb;
    let bytes = bb.bytes();
    let cap = bytes.length;
    const vtables = self.vtables;
    outer: for (let k = 0; k < vtables.length; k++) {
      const at = cap - vtables[k]!;
      if ((bytes[at]! | (bytes[at + 1]! << 8)) !== len) continue;
      if ((bytes[at + 2]! | (bytes[at + 3]! << 8)) !== (tableSize & 0xffff)) continue;
      for (let j = 0; j < trimmed; j++) {
        const v = vtable[j]! !== 0 ? (vtableloc - vtable[j]!) & 0xffff : 0;
        if ((bytes[at + 4 + 2 * j]! | (bytes[at + 5 + 2 * j]! << 8)) !== v) continue outer;
      }
      bb.writeInt32(cap - vtableloc, vtables[k]! - vtableloc);
      self.isNested = false;
      return vtableloc;
    }
    // Room for the whole vtable at once: 2-aligned already (the offset is 4-aligned after the
    // int32), so prep pads nothing and grows the buffer just as the entry-by-entry prep would.
    this.prep(2, len - 2);
    bytes = self.bb.bytes();
    cap = bytes.length;
    let space = self.space;
    for (; i >= 0; i--) {
      const v = vtable[i]! !== 0 ? vtableloc - vtable[i]! : 0;
      space -= 2;
      bytes[space] = v;
      bytes[space + 1] = v >> 8;
    }
    bytes[space - 2] = tableSize;
    bytes[space - 1] = tableSize >> 8;
    bytes[space - 4] = len;
    bytes[space - 3] = len >> 8;
    space -= 4;
    self.space = space;
    vtables.push(cap - space);
    self.bb.writeInt32(cap - vtableloc, cap - space - vtableloc);
    self.isNested = false;
    return vtableloc;
  }
}
