// Graphs for tests, benchmarks and demos: Barabasi-Albert preferential attachment (each new node
// links to m distinct earlier nodes, chosen with probability proportional to degree) and an edge
// list reader (SNAP's "u v" lines). Deterministic for a given random source.
import type { TopologyEdge, TopologyNode } from '../graph/topology.ts';

export interface EdgeListGraph {
  readonly n: number;
  /** source, target per edge. */
  readonly edges: Uint32Array;
}

export function barabasiAlbert(n: number, m: number, random: () => number): EdgeListGraph {
  if (n < 1 || m < 1) throw new RangeError('n and m must be >= 1');
  const seed = Math.min(n, m + 1);
  const edges: number[] = [];
  // Endpoint list: a node appears once per incident edge, so uniform picks are degree-weighted.
  const ends: number[] = [];
  for (let i = 0; i < seed; i++)
    for (let j = 0; j < i; j++) {
      edges.push(i, j);
      ends.push(i, j);
    }
  const picked = new Set<number>();
  for (let v = seed; v < n; v++) {
    picked.clear();
    while (picked.size < Math.min(m, v)) picked.add(ends.length > 0 ? ends[Math.floor(random() * ends.length)]! : Math.floor(random() * v));
    for (const u of picked) {
      edges.push(v, u);
      ends.push(v, u);
    }
  }
  return { n, edges: Uint32Array.from(edges) };
}

/** Parses "u v" lines (# comments ignored); ids are renumbered densely in order of appearance. */
export function parseEdgeList(text: string): EdgeListGraph {
  const index = new Map<string, number>();
  const edges: number[] = [];
  const id = (token: string): number => {
    let v = index.get(token);
    if (v === undefined) index.set(token, (v = index.size));
    return v;
  };
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [a, b] = t.split(/\s+/);
    if (a === undefined || b === undefined) continue;
    edges.push(id(a), id(b));
  }
  return { n: index.size, edges: Uint32Array.from(edges) };
}

/** The graph as topology records (all knowledge nodes, weight 1, edge id = index). */
export function toTopology(g: EdgeListGraph): { nodes: TopologyNode[]; edges: TopologyEdge[] } {
  const nodes: TopologyNode[] = [];
  for (let i = 0; i < g.n; i++) nodes.push({ id: i, kind: 'knowledge' });
  const edges: TopologyEdge[] = [];
  for (let e = 0; e < g.edges.length / 2; e++)
    edges.push({ id: BigInt(e), source: g.edges[2 * e]!, target: g.edges[2 * e + 1]!, weight: 1 });
  return { nodes, edges };
}
