// Small helpers to build graphs for the SSSP tests from plain edge lists.
import type { TopologyEdge } from '../../../src/graph/topology.ts';
import { DynamicCsr, type Direction } from '../../../src/sssp/csr.ts';

export interface SmallGraph {
  readonly n: number;
  readonly edges: readonly { source: number; target: number; weight: number }[];
}

export function topologyEdges(g: SmallGraph): TopologyEdge[] {
  return g.edges.map((e, k) => ({ id: BigInt(k), ...e }));
}

/** A CSR holding nodes 0..n-1 and the edges (edge id = position), at `version`. */
export function csrOf(g: SmallGraph, direction: Direction, version = 1): DynamicCsr {
  const csr = new DynamicCsr(direction);
  csr.apply({ type: 'reset', version, nodes: Array.from({ length: g.n }, (_, id) => ({ id, kind: 'concept' as const })), edges: topologyEdges(g) });
  return csr;
}
