// The FlatBuffers builder a batch of envelopes is written into: flatbuffers' own Builder with its
// endObject (closing every table: the envelope's and each payload's) done in fewer steps. The
// generic endObject writes the vtable a 16-bit entry at a time, each through prep() (alignment and
// growth checks), then looks for an identical vtable written earlier through ByteBuffer reads;
// here the room is made once and the entries written and compared straight in the bytes. The
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
    // Room for the whole vtable at once: 2-aligned already (the offset is 4-aligned after the
    // int32), so prep pads nothing and grows the buffer just as the entry-by-entry prep would.
    this.prep(2, len - 2);
    const bb = self.bb;
    const bytes = bb.bytes();
    const cap = bytes.length;
    let space = self.space;
    for (; i >= 0; i--) {
      const v = vtable[i]! !== 0 ? vtableloc - vtable[i]! : 0;
      space -= 2;
      bytes[space] = v;
      bytes[space + 1] = v >> 8;
    }
    const tableSize = vtableloc - self.object_start;
    bytes[space - 2] = tableSize;
    bytes[space - 1] = tableSize >> 8;
    bytes[space - 4] = len;
    bytes[space - 3] = len >> 8;
    space -= 4;
    self.space = space;
    // An identical vtable written earlier: the table points at it and this one is taken back.
    const vtables = self.vtables;
    let existing = 0;
    outer: for (let k = 0; k < vtables.length; k++) {
      const vt2 = cap - vtables[k]!;
      for (let j = 0; j < len; j++) if (bytes[space + j] !== bytes[vt2 + j]) continue outer;
      existing = vtables[k]!;
      break;
    }
    if (existing !== 0) {
      self.space = cap - vtableloc;
      bb.writeInt32(self.space, existing - vtableloc);
    } else {
      vtables.push(cap - space);
      bb.writeInt32(cap - vtableloc, cap - space - vtableloc);
    }
    self.isNested = false;
    return vtableloc;
  }
}
