// Dijkstra's algorithm over a CSR view with a monotone radix queue: exact for non-negative weights
// (the general case; bucket-run.ts is faster where no weight is zero).
// A run can be stepped (a bounded number of settled nodes at a time) so that a big query can share
// the event loop. Early exits: a distance bound (arcs leading past it are never queued) and a set
// of targets (the run stops once the last of them is settled; what is still queued then is only an
// upper bound and is cleared from the result).
//
// The queue has no decrease-key: a node is queued again each time its distance strictly drops.
// Its entries therefore pop in the order of their strictly decreasing keys, the first one at its
// final distance; every later one is stale, and a settled node is never queued again (weights are
// >= 0). So each node is settled exactly once, by the entry that carries its distance.
//
// Which nodes are settled, and which have been reached at all, are bitsets beside the queue (1M
// nodes: 125 KB each, which stays in cache); on a graph too big for the cache every look at the
// distance array is a miss, and these spare most of them:
// - an entry is stale exactly when its node is already settled: a pop needs no distance read;
// - an arc into a settled node (on an undirected graph, half of all arcs) needs none either;
// - an arc into a node not reached yet always improves it: its distance is written, not read
//   (a store does not stall the loop the way a load that misses does).
import { BucketRing } from './bucket-ring.ts';
import type { CsrView } from './csr.ts';
import { RadixQueue } from './radix-queue.ts';

/** A single-source run that settles nodes a slice at a time (this radix-queue one, or bucket-run.ts). */
export interface SettleRun {
  /** Per index: Infinity for nodes not reached. */
  readonly distance: Float64Array;
  /** Per index: -1 for the source and nodes not reached. */
  readonly parent: Int32Array;
  /** Settled indices in settle order; the first `settled` are valid. */
  readonly order: Int32Array;
  /** True when the settle order is nondecreasing in distance. */
  readonly sorted: boolean;
  readonly settled: number;
  /** True once every node within the bound was settled (no early exit on targets). */
  readonly complete: boolean;
  /** Settles up to `maxPops` nodes; returns true when the run is finished. */
  step(maxPops: number): boolean;
}

/** The bucket run's chunk of settled nodes, their row bounds and distances (bucket-run.ts). */
export class SettleChunk {
  node = new Int32Array(0);
  first = new Int32Array(0);
  end = new Int32Array(0);
  distance = new Float64Array(0);
  /** What the first pass's touching reads add up to; nothing reads it. */
  touched = 0;

  reserve(n: number): void {
    if (this.node.length >= n) return;
    this.node = new Int32Array(n);
    this.first = new Int32Array(n);
    this.end = new Int32Array(n);
    this.distance = new Float64Array(n);
  }
}

/** Per-engine scratch reused by successive runs (one run at a time). */
export class DijkstraScratch {
  readonly queue = new RadixQueue();
  readonly ring = new BucketRing();
  readonly chunk = new SettleChunk();
  /** Bit i & 31 of word i >> 5: node i is settled. */
  settled = new Int32Array(0);
  /** The same layout: node i has a finite distance (it is queued or settled). */
  reached = new Int32Array(0);

  /** Room for `n` nodes, none reached, and an empty queue. */
  reset(n: number): void {
    const words = (n + 31) >> 5;
    if (this.settled.length < words) {
      this.settled = new Int32Array(Math.max(words, 2 * this.settled.length));
      this.reached = new Int32Array(this.settled.length);
    } else {
      this.settled.fill(0, 0, words);
      this.reached.fill(0, 0, words);
    }
    this.queue.reset();
  }
}

/** What every run keeps: the answer arrays, the settle count, and the targets still to settle. */
export abstract class RunBase {
  readonly distance: Float64Array;
  readonly parent: Int32Array;
  readonly order: Int32Array;
  settled = 0;
  complete = false;
  done = false;
  private remaining = 0;
  private readonly targetMark: Uint8Array | null = null;

  protected constructor(
    n: number,
    protected readonly scratch: DijkstraScratch,
    source: number,
    targets: Int32Array | null,
  ) {
    // Fresh per run: they go out in the result, which callers may keep.
    this.distance = new Float64Array(n).fill(Infinity);
    this.parent = new Int32Array(n).fill(-1);
    this.order = new Int32Array(n);
    scratch.reset(n);
    this.distance[source] = 0;
    scratch.reached[source >> 5] = 1 << (source & 31);
    if (targets !== null) {
      this.targetMark = new Uint8Array(n);
      for (const t of targets) this.targetMark[t] = 1;
      this.remaining = targets.length;
    }
  }

  /** Called as `u` settles: true when it was the last target still to settle (the run stops). */
  protected lastTarget(u: number): boolean {
    return this.targetMark !== null && this.targetMark[u] === 1 && --this.remaining === 0;
  }

  /** Ends the run. Queued but unsettled nodes only have upper bounds: they leave the answer. */
  protected finishWith(forEachQueued: (visit: (v: number) => void) => void): void {
    const done = this.scratch.settled;
    const dist = this.distance;
    const parent = this.parent;
    let cleared = 0;
    forEachQueued((v) => {
      if ((done[v >> 5]! & (1 << (v & 31))) === 0 && dist[v] !== Infinity) {
        dist[v] = Infinity;
        parent[v] = -1;
        cleared++;
      }
    });
    this.complete = cleared === 0;
    this.done = true;
  }
}

export class DijkstraRun extends RunBase implements SettleRun {
  readonly sorted = true;

  constructor(
    private readonly csr: CsrView,
    scratch: DijkstraScratch,
    source: number,
    private readonly bound: number,
    targets: Int32Array | null,
  ) {
    super(csr.size, scratch, source, targets);
    scratch.queue.push(source, 0);
  }

  step(maxPops: number): boolean {
    if (this.done) return true;
    const { rowStart, rowLen, col, weight } = this.csr;
    const { queue, settled: done, reached } = this.scratch;
    const dist = this.distance;
    const parent = this.parent;
    const order = this.order;
    // An infinite weight never reaches anything; below a finite bound that is already so.
    const limit = Math.min(this.bound, Number.MAX_VALUE);
    let settled = this.settled;
    let budget = maxPops;
    while (queue.size > 0) {
      if (budget === 0) {
        this.settled = settled;
        return false;
      }
      const u = queue.pop();
      const bit = 1 << (u & 31);
      const word = done[u >> 5]!;
      if ((word & bit) !== 0) continue; // stale: u was settled by an entry with a smaller key
      done[u >> 5] = word | bit;
      budget--;
      order[settled++] = u;
      if (this.lastTarget(u)) break;
      const du = queue.last;
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
        queue.push(v, nd);
      }
    }
    this.settled = settled;
    this.finish();
    return true;
  }

  private finish(): void {
    const queue = this.scratch.queue;
    this.finishWith((visit) => queue.forEach(visit));
    queue.reset();
  }
}
