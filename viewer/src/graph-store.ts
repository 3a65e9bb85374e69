// The graph's edges and each node's degree, as the viewer knows them: the edge list loaded page by
// page at connect time, then the graph changes the server broadcasts (Topic.Graph). Both say the
// graph version they reflect: changes that come while the list loads wait, and then apply only when
// newer than the version the load started at (a change is a whole new state of its edge, so one
// that a later page already reflects applies again harmlessly).
import type { AddEdgeT, RemoveEdgeT, RemoveNodeT } from '../../src/protocol/index.ts';
import { GraphBatchT, GraphOp, GraphUpdateT } from '../../src/protocol/index.ts';

export interface EdgeEnds {
  readonly source: number;
  readonly target: number;
}

/** Changes held while the edge list loads; beyond it the load starts over. */
export const MAX_WAITING_CHANGES = 100_000;

export class GraphStore {
  readonly edges = new Map<string, EdgeEnds>();
  readonly degree = new Map<number, number>();
  /** Bumped on every change: renderers rebuild what depends on the edge set. */
  version = 0;
  /** The graph version the edge set reflects (0: unknown). */
  graphVersion = 0;
  /** While the edge list loads: the changes that came meanwhile. */
  private waiting: (GraphUpdateT | GraphBatchT)[] | undefined;
  private overflowed = false;

  /** A fresh load of the edge list: the set empties, and changes wait until `endLoad`. */
  beginLoad(): void {
    this.edges.clear();
    this.degree.clear();
    this.version++;
    this.graphVersion = 0;
    this.waiting = [];
    this.overflowed = false;
  }

  /**
   * The load is done; `from` is the version its first page reported. The changes that waited apply
   * when newer. False when too many came meanwhile: load again.
   */
  endLoad(from: number): boolean {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    if (this.overflowed) return false;
    this.graphVersion = Math.max(this.graphVersion, from);
    for (const change of waiting) this.apply(change);
    return true;
  }

  addEdge(id: string, ends: EdgeEnds): void {
    if (this.edges.has(id)) return;
    this.edges.set(id, ends);
    this.bump(ends.source, 1);
    this.bump(ends.target, 1);
    this.version++;
  }

  removeEdge(id: string): void {
    const ends = this.edges.get(id);
    if (ends === undefined) return;
    this.edges.delete(id);
    this.bump(ends.source, -1);
    this.bump(ends.target, -1);
    this.version++;
  }

  removeNode(id: number): void {
    for (const [edgeId, ends] of this.edges) if (ends.source === id || ends.target === id) this.removeEdge(edgeId);
  }

  /** A broadcast GraphUpdate or GraphBatch. */
  apply(change: GraphUpdateT | GraphBatchT): void {
    if (this.waiting !== undefined) {
      if (this.waiting.length < MAX_WAITING_CHANGES) this.waiting.push(change);
      else this.overflowed = true;
      return;
    }
    const at = Number(change.version);
    if (at !== 0 && at <= this.graphVersion) return; // the loaded list reflects it already
    this.graphVersion = Math.max(this.graphVersion, at);
    const updates = change instanceof GraphBatchT ? change.updates : [change];
    for (const u of updates) {
      switch (u.opType) {
        case GraphOp.AddEdge: {
          const e = (u.op as AddEdgeT).edge;
          if (e !== null) this.addEdge(e.id.toString(), { source: e.source, target: e.target });
          break;
        }
        case GraphOp.RemoveEdge:
          this.removeEdge((u.op as RemoveEdgeT).id.toString());
          break;
        case GraphOp.RemoveNode:
          this.removeNode((u.op as RemoveNodeT).id);
          break;
        default:
          break;
      }
    }
  }

  degreeOf(id: number): number {
    return this.degree.get(id) ?? 0;
  }

  private bump(id: number, by: number): void {
    this.degree.set(id, (this.degree.get(id) ?? 0) + by);
  }
}

export function isGraphChange(payload: unknown): payload is GraphUpdateT | GraphBatchT {
  return payload instanceof GraphUpdateT || payload instanceof GraphBatchT;
}
