// The straightforward references the engines are checked against: textbook Dijkstra with a plain
// binary heap of [distance, node] pairs over adjacency lists (no typed arrays, no decrease-key,
// nothing shared with src/sssp), and Bellman-Ford for small graphs.

export interface RefEdge {
  readonly source: number;
  readonly target: number;
  readonly weight: number;
}

/** Adjacency lists by node position (the index of the id in `nodes`), built once per graph. */
export class ReferenceGraph {
  readonly position = new Map<number, number>();
  readonly adj: [number, number][][];

  constructor(
    readonly nodes: readonly number[],
    edges: readonly RefEdge[],
    undirected: boolean,
  ) {
    nodes.forEach((n, k) => this.position.set(n, k));
    this.adj = nodes.map(() => []);
    for (const e of edges) {
      const s = this.position.get(e.source)!;
      const t = this.position.get(e.target)!;
      this.adj[s]!.push([t, e.weight]);
      if (undirected && s !== t) this.adj[t]!.push([s, e.weight]);
    }
  }

  /** Distances by node position; Infinity where unreachable. */
  dijkstra(sourceId: number): number[] {
    const dist: number[] = this.nodes.map(() => Infinity);
    const done: boolean[] = this.nodes.map(() => false);
    const heap: [number, number][] = [[0, this.position.get(sourceId)!]];
    while (heap.length > 0) {
      const [d, u] = popMin(heap);
      if (done[u]) continue;
      done[u] = true;
      dist[u] = d;
      for (const [v, w] of this.adj[u]!) {
        const nd = d + w;
        if (!done[v] && nd < dist[v]!) {
          dist[v] = nd;
          pushHeap(heap, [nd, v]);
        }
      }
    }
    return dist;
  }

  /** Shortest arc u -> v (by position), Infinity when there is none. */
  arc(u: number, v: number): number {
    let best = Infinity;
    for (const [t, w] of this.adj[u]!) if (t === v && w < best) best = w;
    return best;
  }
}

/** Distances by node id (Map), unreachable nodes absent. */
export function referenceDijkstra(
  nodes: readonly number[],
  edges: readonly RefEdge[],
  source: number,
  undirected: boolean,
): Map<number, number> {
  const g = new ReferenceGraph(nodes, edges, undirected);
  const d = g.dijkstra(source);
  const out = new Map<number, number>();
  nodes.forEach((n, k) => {
    if (d[k] !== Infinity) out.set(n, d[k]!);
  });
  return out;
}

/** Bellman-Ford: |V| - 1 rounds over every edge. */
export function referenceBellmanFord(
  nodes: readonly number[],
  edges: readonly RefEdge[],
  source: number,
  undirected: boolean,
): Map<number, number> {
  const dist = new Map<number, number>(nodes.map((n) => [n, Infinity]));
  dist.set(source, 0);
  const arcs = undirected ? edges.flatMap((e) => [e, { source: e.target, target: e.source, weight: e.weight }]) : edges;
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const a of arcs) {
      const nd = dist.get(a.source)! + a.weight;
      if (nd < dist.get(a.target)!) {
        dist.set(a.target, nd);
        changed = true;
      }
    }
    if (!changed) break;
  }
  for (const [k, v] of dist) if (v === Infinity) dist.delete(k);
  return dist;
}

function pushHeap(h: [number, number][], x: [number, number]): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]![0] <= x[0]) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = x;
}

function popMin(h: [number, number][]): [number, number] {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1]![0] < h[l]![0] ? l + 1 : l;
      if (h[c]![0] >= last[0]) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
