// The ByteBuffer a received frame is read through: flatbuffers' own, with its string reads
// (every generated accessor of a string field, in any codec) remembering the last few strings
// decoded. A frame of a batch carries the same short strings again and again (an agent id in
// every heartbeat, a task's sender, ids), each written anew; decoding one through TextDecoder
// costs a call into C++ and an allocation, comparing its bytes with those of the last string of
// the same length read in this frame costs a few word reads. Strings are immutable, so handing
// back the same one for the same bytes changes nothing the reader can see. The frame has been
// verified (every string in bounds, terminated and valid UTF-8) before any of it is read.
import { ByteBuffer, Encoding } from 'flatbuffers';

const utf8 = new TextDecoder();
/** Strings remembered, one for each length modulo this. */
const SLOTS = 8;
/** Longer strings are decoded every time. */
const LONGEST = 256;

export class FrameBuffer extends ByteBuffer {
  private readonly view: DataView;
  /** Per slot: where the remembered string's bytes start (-1: none), its length and the string. */
  private readonly memoAt = new Int32Array(SLOTS).fill(-1);
  private readonly memoLength = new Int32Array(SLOTS);
  private readonly memo: string[] = new Array<string>(SLOTS).fill('');

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    if (encoding === Encoding.UTF8_BYTES) return super.__string(offset, encoding);
    const start = offset + this.readInt32(offset);
    const n = this.readInt32(start);
    const at = start + 4;
    const bytes = this.bytes();
    if (n > LONGEST) return utf8.decode(bytes.subarray(at, at + n));
    const slot = n % SLOTS;
    const before = this.memoAt[slot]!;
    if (before >= 0 && this.memoLength[slot] === n && (before === at || this.same(before, at, n))) return this.memo[slot]!;
    const s = utf8.decode(bytes.subarray(at, at + n));
    this.memoAt[slot] = at;
    this.memoLength[slot] = n;
    this.memo[slot] = s;
    return s;
  }

  /** Whether the n bytes at a and at b are the same (both 4-aligned: a string's bytes follow its length). */
  private same(a: number, b: number, n: number): boolean {
    const view = this.view;
    let i = 0;
    for (; i + 4 <= n; i += 4) if (view.getUint32(a + i) !== view.getUint32(b + i)) return false;
    const bytes = this.bytes();
    for (; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  }
}
