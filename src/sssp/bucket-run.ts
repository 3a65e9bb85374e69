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
//
// Since a bucket's nodes are all final at once, they are settled a chunk at a time (up to
// SETTLE_CHUNK), in two passes: first settle the chunk and read each node's row bounds and
// distance, and touch the first arc of each row; then relax the rows. On a graph too big for the
// cache each of those reads is a miss; in the first pass they do not depend on one another, so
// the processor has many in flight at once, where one node after another it waited on each in
// turn. That took about 16% off a 1M-node run (uniform degree 8 and BA m=2 alike).
// Nodes settle in the same order as one at a time, and the answer is the same: an arc between two
// nodes of the bucket never improves either (see above), so relaxing a row after its bucket-mates
// are marked settled skips only arcs that would have changed nothing.
import { MAX_RING } from './bucket-ring.ts';
import type { CsrView } from './csr.ts';
import { RunBase, type DijkstraScratch, type SettleRun } from './dijkstra.ts';
import type { WeightScale } from './weight-scale.ts';

/** The bucket width for these weights, or undefined when the bucket queue cannot be used. */
export function bucketWidth(scale: WeightScale | undefined): number | undefined {
  if (scale === undefined) return 1; // no finite weight: only the source is ever settled
  if (scale.zero || scale.floor === 0) return undefined;
  // Queued keys lie within ceil of the current bucket, so the ring needs ceil / floor + 2 buckets;
  // both are powers of two, so the largest ratio allowed (2048) gives a ring of exactly MAX_RING.
  return scale.ceil / scale.floor < MAX_RING ? scale.floor : undefined;
}

/** Ring size for a width: a power of two covering every key queued at once. */
function ringSize(scale: WeightScale | undefined, delta: number): number {
  if (scale === undefined) return 2;
  let size = 2;
  while (size < scale.ceil / delta + 2) size *= 2;
  return size;
}

/** Most nodes settled before their rows are relaxed (see above). */
export const SETTLE_CHUNK = 256;

export class BucketRun extends RunBase implements SettleRun {
  readonly sorted = false;
  /** The bucket being drained (ring position) and how far into it. */
  private bucket = 0;
  private next = 0;
  private readonly perWidth: number;

  constructor(
    private readonly csr: CsrView,
    scratch: DijkstraScratch,
    source: number,
    private readonly bound: number,
    targets: Int32Array | null,
    scale: WeightScale | undefined,
    delta: number,
    /** Nodes settled per chunk; tests make it small to cross chunk boundaries often. */
    private readonly chunkSize = SETTLE_CHUNK,
  ) {
    super(csr.size, scratch, source, targets);
    scratch.ring.reset(ringSize(scale, delta));
    scratch.ring.push(0, source);
    scratch.chunk.reserve(chunkSize);
    this.perWidth = 1 / delta;
  }

  step(maxPops: number): boolean {
    if (this.done) return true;
    const { rowStart, rowLen, col, weight } = this.csr;
    const { ring, settled: done, reached, chunk } = this.scratch;
    const { node: chunkNode, first: chunkFirst, end: chunkEnd, distance: chunkDistance } = chunk;
    const dist = this.distance;
    const parent = this.parent;
    const order = this.order;
    const limit = Math.min(this.bound, Number.MAX_VALUE);
    const perWidth = this.perWidth;
    const mask = ring.mask;
    let settled = this.settled;
    let budget = maxPops;
    let b = this.bucket;
    let k = this.next;
    let stopped = false;
    let touched = 0;
    while (ring.size > 0 && !stopped) {
      if (k === ring.length(b)) {
        ring.drop(b);
        if (ring.size === 0) break;
        b = (b + ring.distanceToNext(b)) & mask;
        k = 0;
        continue;
      }
      if (budget === 0) break;
      // Pass 1: settle up to a chunk of the bucket. The bucket is not added to while it drains
      // (see above): its array stays put.
      const entries = ring.entries(b);
      const length = ring.length(b);
      const room = Math.min(this.chunkSize, budget);
      let c = 0;
      while (k < length && c < room) {
        const u = entries[k++]!;
        const bit = 1 << (u & 31);
        const word = done[u >> 5]!;
        if ((word & bit) !== 0) continue;
        done[u >> 5] = word | bit;
        order[settled++] = u;
        // The last target settles but is not relaxed: the run ends with it.
        if (this.lastTarget(u)) {
          stopped = true;
          break;
        }
        chunkNode[c++] = u;
      }
      budget -= c;
      // Independent loads: their misses overlap.
      for (let i = 0; i < c; i++) {
        const u = chunkNode[i]!;
        const first = rowStart[u]!;
        chunkFirst[i] = first;
        chunkEnd[i] = first + rowLen[u]!;
        chunkDistance[i] = dist[u]!;
      }
      for (let i = 0; i < c; i++) {
        const first = chunkFirst[i]!;
        if (first < chunkEnd[i]!) touched ^= col[first]! ^ (weight[first]! | 0);
      }
      // Pass 2: relax the rows. The relaxation is DijkstraRun's, written out again so that each
      // queue's push sits inline in its own hot loop rather than behind a shared callback.
      for (let i = 0; i < c; i++) {
        const u = chunkNode[i]!;
        const du = chunkDistance[i]!;
        const end = chunkEnd[i]!;
        for (let a = chunkFirst[i]!; a < end; a++) {
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
    }
    // Kept, so that the touching reads are not dead code to the compiler.
    chunk.touched ^= touched;
    this.settled = settled;
    this.bucket = b;
    this.next = k;
    if (!stopped && ring.size > 0) return false;
    this.finish();
    return true;
  }

  private finish(): void {
    const ring = this.scratch.ring;
    this.finishWith((visit) => ring.forEach(visit));
    ring.reset(2);
  }
}
