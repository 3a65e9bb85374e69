// Dijkstra with a ring of distance buckets of width delta, where delta is a power of two no larger
// than the smallest arc weight (Dinitz's observation): exact, with no priority queue at all.
//
// Why every node in the lowest non-empty bucket is final: all nodes below that bucket's floor bD
// are settled. A node u in bucket b has a shortest path whose last arc (p, u) weighs at least delta,
// so dist(p) <= dist(u) - delta < (b + 1)D - D = bD: p is settled, (p, u) was relaxed, and dist[u]
// is already exact. Nor can settling u move a node into bucket b: du + w >= bD + D holds in real
// arithmetic, (b + 1)D is a float (delta is a power of two), and rounding to nearest is monotone,
// so the float sum stays at or above it and its bucket, floor(sum / D), is exact too. So a bucket
// is drained in any order (here: the order its entries arrived) and is never added to while it is.
//
// Against the radix queue this does no entry moves (an entry is written once and read once) and no
// search for a minimum, which on a 1M-node graph takes about a third of the time off. The price:
// within one bucket nodes settle in arrival order, so the settle order is nondecreasing in
// distance only bucket by bucket (results say `sorted: false`). Zero weights, or weights spread so
// wide that the ring would need more than MAX_RING buckets, go to the radix queue instead.
//
// A node is queued each time its distance strictly drops; entries for settled nodes are skipped
// by the settled bitset (dijkstra.ts explains the bitsets).
import type { CsrView } from './csr.ts';
import type { DijkstraScratch, SettleRun } from './dijkstra.ts';
import type { WeightScale } from './weight-scale.ts';

/** Most buckets in the ring: weights may span about 11 binary orders of magnitude. */
export const MAX_RING = 4096;

/** The bucket width for these weights, or undefined when the bucket queue cannot be used. */
export function bucketWidth(scale: WeightScale | undefined): number | undefined {
  if (scale === undefined) return 1; // no finite weight: only the source is ever settled
  if (scale.zero || scale.floor === 0) return undefined;
  // Queued keys lie within ceil of the current bucket: the ring must cover ceil / floor + 1 buckets.
  return scale.ceil / scale.floor < MAX_RING ? scale.floor : undefined;
}

/** Ring size for a width: a power of two covering every key queued at once. */
function ringSize(scale: WeightScale | undefined, delta: number): number {
  if (scale === undefined) return 2;
  let size = 2;
  while (size < scale.ceil / delta + 2) size *= 2;
  return size;
}

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

export class BucketRun implements SettleRun {
  readonly distance: Float64Array;
  readonly parent: Int32Array;
  readonly order: Int32Array;
  readonly sorted = false;
  settled = 0;
  complete = false;
  done = false;
  private remaining = 0;
  private readonly targetMark: Uint8Array | null = null;
  /** The bucket being drained (ring position) and how far into it. */
  private bucket = 0;
  private next = 0;
  private readonly perWidth: number;

  constructor(
    private readonly csr: CsrView,
    private readonly scratch: DijkstraScratch,
    source: number,
    private readonly bound: number,
    targets: Int32Array | null,
    scale: WeightScale | undefined,
    delta: number,
  ) {
    const n = csr.size;
    this.distance = new Float64Array(n).fill(Infinity);
    this.parent = new Int32Array(n).fill(-1);
    this.order = new Int32Array(n);
    scratch.reset(n);
    scratch.ring.reset(ringSize(scale, delta));
    this.perWidth = 1 / delta;
    this.distance[source] = 0;
    scratch.reached[source >> 5] = 1 << (source & 31);
    scratch.ring.push(0, source);
    if (targets !== null) {
      this.targetMark = new Uint8Array(n);
      for (const t of targets) this.targetMark[t] = 1;
      this.remaining = targets.length;
    }
  }

  step(maxPops: number): boolean {
    if (this.done) return true;
    const { rowStart, rowLen, col, weight } = this.csr;
    const { ring, settled: done, reached } = this.scratch;
    const dist = this.distance;
    const parent = this.parent;
    const order = this.order;
    const limit = Math.min(this.bound, Number.MAX_VALUE);
    const perWidth = this.perWidth;
    const mask = ring.mask;
    const mark = this.targetMark;
    let settled = this.settled;
    let budget = maxPops;
    let b = this.bucket;
    let k = this.next;
    let stopped = false;
    while (ring.size > 0) {
      if (k === ring.length(b)) {
        ring.drop(b);
        if (ring.size === 0) break;
        b = (b + ring.distanceToNext(b)) & mask;
        k = 0;
        continue;
      }
      if (budget === 0) break;
      // The bucket is not added to while it drains (see above): its array stays put.
      const u = ring.entries(b)[k++]!;
      const bit = 1 << (u & 31);
      const word = done[u >> 5]!;
      if ((word & bit) !== 0) continue;
      done[u >> 5] = word | bit;
      budget--;
      order[settled++] = u;
      if (mark !== null && mark[u] === 1 && --this.remaining === 0) {
        stopped = true;
        break;
      }
      const du = dist[u]!;
      const end = rowStart[u]! + rowLen[u]!;
      for (let a = rowStart[u]!; a < end; a++) {
        const v = col[a]!;
        const w = v >> 5;
        const vbit = 1 << (v & 31);
        if ((done[w]! & vbit) !== 0) continue;
        const nd = du + weight[a]!;
        if (!(nd <= limit)) continue;
        const seen = reached[w]!;
        if ((seen & vbit) === 0) reached[w] = seen | vbit;
        else if (!(nd < dist[v]!)) continue;
        dist[v] = nd;
        parent[v] = u;
        ring.push(Math.floor(nd * perWidth) & mask, v);
      }
    }
    this.settled = settled;
    this.bucket = b;
    this.next = k;
    if (!stopped && ring.size > 0) return false;
    this.finish();
    return true;
  }

  private finish(): void {
    const { ring, settled: done } = this.scratch;
    const dist = this.distance;
    const parent = this.parent;
    // Queued but unsettled nodes only have upper bounds: they are not part of the answer.
    let cleared = 0;
    ring.forEach((v) => {
      if ((done[v >> 5]! & (1 << (v & 31))) === 0 && dist[v] !== Infinity) {
        dist[v] = Infinity;
        parent[v] = -1;
        cleared++;
      }
    });
    ring.reset(2);
    this.complete = cleared === 0;
    this.done = true;
  }
}
