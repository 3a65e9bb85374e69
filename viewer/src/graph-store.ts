// The graph's edges and each node's degree, as the viewer knows them: the edge list loaded page by
// page at connect time, then the graph changes the server broadcasts (Topic.Graph).
import type { AddEdgeT, RemoveEdgeT, RemoveNodeT } from '../../src/protocol/index.ts';
import { GraphBatchT, GraphOp, GraphUpdateT } from '../../src/protocol/index.ts';

export interface EdgeEnds {
  readonly source: number;
  readonly target: number;
}

export class GraphStore {
  readonly edges = new Map<string, EdgeEnds>();
  readonly degree = new Map<number, number>();
  /** Bumped on every change: renderers rebuild what depends on the edge set. */
  version = 0;

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
