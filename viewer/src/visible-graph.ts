// The graph as this viewer draws it: the shown nodes (the position stream's id table) and the edges
// between them. Under a folding filter each edge's ends are first replaced by the node they fold
// into (a block's page, from the id table), so a page carries its blocks' links, as in Logseq's and
// Obsidian's graph views; an edge folded onto one node, or onto a pair already joined, is dropped.
// Degrees, neighbours and the renderers' edge list come from here. Rebuilt when the edge set or the
// id table changes: at once for a new table, at most every REBUILD_MS while edges stream in.
import type { GraphStore } from './graph-store.ts';
import type { PositionStore } from './position-store.ts';

const REBUILD_MS = 300;

export class VisibleGraph {
  /** Slot pairs of the drawn edges (a, b, a, b, ...). */
  pairs = new Int32Array(0);
  /** Bumped on every rebuild. */
  version = 0;
  private neighbourIds = new Map<number, number[]>();
  private foldedDegree: Map<number, number> | undefined;
  private graph: GraphStore | undefined;
  private builtGraph = -1;
  private builtTable = -1;
  private builtAt = -Infinity;

  /** Rebuilds when due; true when it did. Once per rendered frame. */
  update(graph: GraphStore, store: PositionStore, now: number): boolean {
    this.graph = graph;
    const tableChanged = store.tables !== this.builtTable;
    if (!tableChanged && (graph.version === this.builtGraph || now - this.builtAt < REBUILD_MS)) return false;
    this.builtGraph = graph.version;
    this.builtTable = store.tables;
    this.builtAt = now;
    this.rebuild(graph, store);
    this.version++;
    return true;
  }

  get edgeCount(): number {
    return this.pairs.length / 2;
  }

  /** Whether a folding filter is on (the table folds some nodes away). */
  folding = false;

  /** Folded: distinct neighbours on the folded graph (as the server counts them); else edge ends. */
  degreeOf(id: number): number {
    if (this.foldedDegree !== undefined) return this.foldedDegree.get(id) ?? 0;
    return this.graph?.degreeOf(id) ?? 0;
  }

  /** The shown nodes joined to `id` by a drawn edge, in edge order. */
  neighbours(id: number): readonly number[] {
    return this.neighbourIds.get(id) ?? [];
  }

  private rebuild(graph: GraphStore, store: PositionStore): void {
    const fold = store.foldedInto;
    this.folding = fold.size > 0;
    const slotOf = store.slotOf;
    const seen = new Set<number>();
    const pairs: number[] = [];
    const neighbours = new Map<number, number[]>();
    const link = (a: number, b: number): void => {
      let list = neighbours.get(a);
      if (list === undefined) neighbours.set(a, (list = []));
      list.push(b);
    };
    const folding = this.folding;
    const counts = folding ? new Map<number, number>() : undefined;
    for (const e of graph.edges.values()) {
      const a = folding ? (fold.get(e.source) ?? e.source) : e.source;
      const b = folding ? (fold.get(e.target) ?? e.target) : e.target;
      if (a === b) continue;
      const sa = slotOf.get(a);
      const sb = slotOf.get(b);
      if (sa === undefined || sb === undefined) continue;
      // One drawn edge per pair of slots, whichever way round (slots are below 2^24).
      const key = sa < sb ? sa * 16_777_216 + sb : sb * 16_777_216 + sa;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push(sa, sb);
      link(a, b);
      link(b, a);
      if (counts !== undefined) {
        counts.set(a, (counts.get(a) ?? 0) + 1);
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    }
    this.pairs = Int32Array.from(pairs);
    this.neighbourIds = neighbours;
    this.foldedDegree = counts;
  }
}
