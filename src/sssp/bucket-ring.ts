// The bucket queue's storage (bucket-run.ts): a ring of buckets of node indices, a power of two
// of them, with a bitmap of the non-empty ones so that the next one is found a word at a time.
// Bucket arrays grow by doubling and are kept between runs.

/** Most buckets in the ring: weights may span about 11 binary orders of magnitude. */
export const MAX_RING = 4096;

/** Buckets of node indices, a ring of `size` (a power of two); storage is kept between runs. */
export class BucketRing {
  private nodes: Int32Array[] = [];
  private readonly len = new Int32Array(MAX_RING);
  /** Non-empty buckets: bit b & 31 of word b >> 5. */
  private readonly occupied = new Int32Array(MAX_RING >> 5);
  mask = 0;
  /** Entries queued, stale ones included. */
  size = 0;

  constructor() {
    const none = new Int32Array(0);
    for (let b = 0; b < MAX_RING; b++) this.nodes.push(none);
  }

  /** Empties the ring and sizes it to `size` buckets (a power of two <= MAX_RING). */
  reset(size: number): void {
    this.len.fill(0);
    this.occupied.fill(0);
    this.mask = size - 1;
    this.size = 0;
  }

  /** Queues `node` in bucket `b` (already reduced by the mask). */
  push(b: number, node: number): void {
    let n = this.len[b]!;
    let nodes = this.nodes[b]!;
    if (n === nodes.length) {
      const grown = new Int32Array(Math.max(64, 2 * n));
      grown.set(nodes);
      this.nodes[b] = nodes = grown;
    }
    nodes[n] = node;
    this.len[b] = ++n;
    if (n === 1) this.occupied[b >> 5]! |= 1 << (b & 31);
    this.size++;
  }

  length(b: number): number {
    return this.len[b]!;
  }

  entries(b: number): Int32Array {
    return this.nodes[b]!;
  }

  /** Empties bucket `b` (its entries were all taken). */
  drop(b: number): void {
    this.size -= this.len[b]!;
    this.len[b] = 0;
    this.occupied[b >> 5]! &= ~(1 << (b & 31));
  }

  /** Steps from bucket `b` (empty) round the ring to the next non-empty bucket. Not on an empty ring. */
  distanceToNext(b: number): number {
    const words = (this.mask >> 5) + 1;
    const start = b >> 5;
    let w = start;
    let word = this.occupied[start]! & (-1 << (b & 31));
    for (let step = 1; word === 0; step++) {
      w = (start + step) % words;
      word = this.occupied[w]!;
      // Back at b's own word after a full round: only the buckets before b are left.
      if (step === words) word &= (1 << (b & 31)) - 1;
    }
    const found = (w << 5) + 31 - Math.clz32(word & -word);
    return (found - b) & this.mask;
  }

  /** Calls `visit(node)` for every queued entry, stale ones included. */
  forEach(visit: (node: number) => void): void {
    for (let b = 0; b <= this.mask; b++) {
      const nodes = this.nodes[b]!;
      for (let k = 0, n = this.len[b]!; k < n; k++) visit(nodes[k]!);
    }
  }
}
