// Dijkstra's algorithm over a CSR view with the 4-ary heap: exact for non-negative weights.
// A run can be stepped (a bounded number of settled nodes at a time) so that a big query can share
// the event loop. Early exits: a distance bound (arcs leading past it are never queued) and a set
// of targets (the run stops once the last of them is settled; what is still queued then is only an
// upper bound and is cleared from the result).
import type { CsrView } from './csr.ts';
import type { QuadHeap } from './heap.ts';

export class DijkstraRun {
  readonly distance: Float64Array;
  readonly parent: Int32Array;
  /** Settled indices in settle order (nondecreasing distance); the first `settled` are valid. */
  readonly order: Int32Array;
  settled = 0;
  /** True once the heap emptied: every node within the bound was settled. */
  complete = false;
  done = false;
  private remaining: number;
  private readonly targetMark: Uint8Array | null;

  constructor(
    private readonly csr: CsrView,
    private readonly heap: QuadHeap,
    source: number,
    private readonly bound: number,
    targets: Int32Array | null,
  ) {
    const n = csr.size;
    this.distance = new Float64Array(n).fill(Infinity);
    this.parent = new Int32Array(n).fill(-1);
    this.order = new Int32Array(n);
    heap.reset(n);
    this.distance[source] = 0;
    heap.push(source, 0);
    this.targetMark = null;
    this.remaining = 0;
    if (targets !== null) {
      this.targetMark = new Uint8Array(n);
      for (const t of targets) this.targetMark[t] = 1;
      this.remaining = targets.length;
    }
  }

  /** Settles up to `maxPops` nodes; returns true when the run is finished. */
  step(maxPops: number): boolean {
    if (this.done) return true;
    const { rowStart, rowLen, col, weight } = this.csr;
    const dist = this.distance;
    const parent = this.parent;
    const order = this.order;
    const heap = this.heap;
    const bound = this.bound;
    const mark = this.targetMark;
    let settled = this.settled;
    let budget = maxPops;
    while (heap.size > 0) {
      if (budget-- === 0) {
        this.settled = settled;
        return false;
      }
      const u = heap.pop();
      const du = dist[u]!;
      order[settled++] = u;
      if (mark !== null && mark[u] === 1 && --this.remaining === 0) break;
      const end = rowStart[u]! + rowLen[u]!;
      for (let a = rowStart[u]!; a < end; a++) {
        const v = col[a]!;
        const nd = du + weight[a]!;
        const dv = dist[v]!;
        if (nd < dv && nd <= bound) {
          if (dv === Infinity) heap.push(v, nd);
          else heap.decrease(v, nd);
          dist[v] = nd;
          parent[v] = u;
        }
      }
    }
    this.settled = settled;
    this.complete = heap.size === 0;
    // Queued but unsettled nodes only have upper bounds: they are not part of the answer.
    for (let k = 0; k < heap.size; k++) {
      const v = heap.nodes[k]!;
      dist[v] = Infinity;
      parent[v] = -1;
    }
    heap.size = 0;
    this.done = true;
    return true;
  }
}
