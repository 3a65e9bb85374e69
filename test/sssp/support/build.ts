// Small helpers to build graphs for the SSSP tests from plain edge lists.
import type { TopologyEdge } from '../../../src/graph/topology.ts';
import { DynamicCsr } from '../../../src/sssp/csr.ts';

/** Every edge of a test graph one way, or every edge both ways. */
export type Direction = 'directed' | 'undirected';

export interface SmallGraph {
  readonly n: number;
  readonly edges: readonly { source: number; target: number; weight: number }[];
}

export function topologyEdges(g: SmallGraph, direction: Direction = 'undirected'): TopologyEdge[] {
  return g.edges.map((e, k) => ({ id: BigInt(k), ...e, directed: direction === 'directed' }));
}

/** A CSR holding nodes 0..n-1 and the edges (edge id = position, each directed or not as `direction` says), at `version`. */
export function csrOf(g: SmallGraph, direction: Direction, version = 1): DynamicCsr {
  const csr = new DynamicCsr();
  csr.apply({
    type: 'reset',
    version,
    nodes: Array.from({ length: g.n }, (_, id) => ({ id, kind: 'concept' as const })),
    edges: topologyEdges(g, direction),
  });
  return csr;
}
