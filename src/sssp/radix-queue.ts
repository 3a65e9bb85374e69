// A monotone priority queue for Dijkstra: a radix heap keyed on the IEEE-754 bits of the distance.
//
// Why this works: non-negative doubles (+0 up to +Infinity) order exactly like their 64-bit
// patterns read as unsigned integers, and Dijkstra never queues a key below the last one it took
// out (`last`). Read the 64 bits as 16 digits of 4 bits. A queued key agrees with `last` on every
// digit above some level L and has a larger digit d at L; it lives in bucket (L, d), and keys
// equal to `last` in bucket 0. Buckets in (L, d) order hold ever larger keys, so the minimum is
// in bucket 0 or else in the lowest non-empty bucket: scanning that one bucket finds it, it becomes
// `last`, and the bucket's other entries, which now agree with `last` down to below L, drop into
// lower levels; no other bucket moves. Pushes are appends; an entry drops a few levels in its
// life, and every bucket is written and read front to back, which is what makes this faster than a
// binary-tree heap (sift paths through memory the cache does not hold) on big graphs.
//
// There is no decrease-key: a node whose distance drops is pushed again, and the caller tells the
// stale entries apart (see DijkstraRun). -0 never reaches the queue: distances start at +0, and
// +0 + -0 is +0.
//
// Buckets keep their storage between runs (they grow by doubling, never shrink).

/** Bits per digit: 4 gives 16 levels of 15 buckets (8 halved the moves but not the time: the graph's memory dominates). */
const DIGIT = 4;
const RADIX = 1 << DIGIT;
const BUCKETS = (64 / DIGIT) * RADIX;
const MASK_WORDS = BUCKETS / 32;
/** Which 32-bit word of a float64 holds its sign, exponent and top of the mantissa (1 on little-endian hosts). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

export class RadixQueue {
  /** Entries (key, node) per bucket; `bits` views the same memory as `keys`. */
  private keys: Float64Array[] = [];
  private bits: Uint32Array[] = [];
  private nodes: Int32Array[] = [];
  private readonly len = new Int32Array(BUCKETS);
  /** Non-empty buckets other than 0: bit b & 31 of word b >> 5. */
  private readonly occupied = new Int32Array(MASK_WORDS);
  private lastHi = 0;
  private lastLo = 0;
  /** The key of every entry in bucket 0: the smallest key queued, once `pop` has been called. */
  last = 0;
  /** Entries queued, stale ones included. */
  size = 0;
  private readonly scratch = new Float64Array(1);
  private readonly scratchBits = new Uint32Array(this.scratch.buffer);

  constructor() {
    // Storage comes with a bucket's first entry: a run touches only a few dozen of the 256.
    const keys = new Float64Array(0);
    const bits = new Uint32Array(0);
    const nodes = new Int32Array(0);
    for (let b = 0; b < BUCKETS; b++) {
      this.keys.push(keys);
      this.bits.push(bits);
      this.nodes.push(nodes);
    }
  }

  /** Empties the queue; the next key pushed may be anything >= 0. */
  reset(): void {
    this.len.fill(0);
    this.occupied.fill(0);
    this.lastHi = 0;
    this.lastLo = 0;
    this.last = 0;
    this.size = 0;
  }

  /** Queues `node` with `key`; `key` must be >= the key of the last pop (and not -0 or NaN). */
  push(node: number, key: number): void {
    this.scratch[0] = key;
    this.append(this.bucketOf(this.scratchBits[HI]!, this.scratchBits[LO]!), node, key);
    this.size++;
  }

  /** Removes an entry with the smallest key and returns its node; its key is then `last`. Not on an empty queue. */
  pop(): number {
    this.size--;
    if (this.len[0] === 0) return this.refill();
    return this.nodes[0]![--this.len[0]!]!;
  }

  /** Calls `visit(node, key)` for every queued entry (stale ones included), in no particular order. */
  forEach(visit: (node: number, key: number) => void): void {
    for (let b = 0; b < BUCKETS; b++) {
      const keys = this.keys[b]!;
      const nodes = this.nodes[b]!;
      for (let k = 0, n = this.len[b]!; k < n; k++) visit(nodes[k]!, keys[k]!);
    }
  }

  /** Level (highest digit where the key differs from `last`) * RADIX + the key's digit there; 0 when equal. */
  private bucketOf(hi: number, lo: number): number {
    const dh = hi ^ this.lastHi;
    if (dh !== 0) {
      const shift = (31 - Math.clz32(dh)) & -DIGIT;
      return ((32 + shift) / DIGIT) * RADIX + ((hi >>> shift) & (RADIX - 1));
    }
    const dl = lo ^ this.lastLo;
    if (dl === 0) return 0;
    const shift = (31 - Math.clz32(dl)) & -DIGIT;
    return (shift / DIGIT) * RADIX + ((lo >>> shift) & (RADIX - 1));
  }

  private append(b: number, node: number, key: number): void {
    let n = this.len[b]!;
    if (n === this.nodes[b]!.length) this.allocate(b, Math.max(16, 2 * n));
    this.keys[b]![n] = key;
    this.nodes[b]![n] = node;
    this.len[b] = ++n;
    if (b !== 0) this.occupied[b >> 5]! |= 1 << (b & 31);
  }

  /**
   * Bucket 0 is empty: takes the minimum of the lowest non-empty bucket (its key becomes `last`)
   * and returns its node, after dropping the bucket's other entries into lower buckets.
   */
  private refill(): number {
    const occupied = this.occupied;
    let w = 0;
    while (occupied[w] === 0) w++;
    const word = occupied[w]!;
    const b = (w << 5) + 31 - Math.clz32(word & -word);
    const keys = this.keys[b]!;
    const bits = this.bits[b]!;
    const nodes = this.nodes[b]!;
    const n = this.len[b]!;
    let m = 0;
    let min = keys[0]!;
    for (let k = 1; k < n; k++) {
      if (keys[k]! < min) {
        min = keys[k]!;
        m = k;
      }
    }
    this.last = min;
    this.lastHi = bits[2 * m + HI]!;
    this.lastLo = bits[2 * m + LO]!;
    this.len[b] = 0;
    occupied[w] = word & (word - 1);
    // Every other entry here shares the digits above this bucket's level with the new `last`, and
    // this level's digit too, so each one lands lower. Most buckets taken hold just the one entry.
    for (let k = 0; k < n; k++) if (k !== m) this.append(this.bucketOf(bits[2 * k + HI]!, bits[2 * k + LO]!), nodes[k]!, keys[k]!);
    return nodes[m]!;
  }

  private allocate(b: number, capacity: number): void {
    const keys = new Float64Array(capacity);
    const nodes = new Int32Array(capacity);
    const n = this.len[b]!;
    if (n > 0) {
      keys.set(this.keys[b]!.subarray(0, n));
      nodes.set(this.nodes[b]!.subarray(0, n));
    }
    this.keys[b] = keys;
    this.bits[b] = new Uint32Array(keys.buffer);
    this.nodes[b] = nodes;
  }
}
