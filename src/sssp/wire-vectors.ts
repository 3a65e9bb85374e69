// A result's reached nodes as the wire's parallel vectors, in settle order: node ids, distances
// (float32, as the schema has them) and each node's parent id (the source is its own parent).
// Settle order reads the per-index arrays at random (about 190 ns a node on 1M nodes), which is why
// the worker does it beside the query, and the port, for results that come without, in slices;
// both write straight into the envelope clients are sent (draftSsspResultEnvelope).
import type { SsspResultArrays } from '../protocol/envelope/sssp-result-envelope.ts';

/** Fills entries [from, to) of `out` from the settle order `order` over the per-index arrays. */
export function gatherWire(
  ids: Uint32Array,
  distance: Float64Array,
  parent: Int32Array,
  order: Int32Array,
  out: Pick<SsspResultArrays, 'nodes' | 'distances' | 'parents'>,
  from = 0,
  to = order.length,
): void {
  const { nodes, distances, parents } = out;
  for (let k = from; k < to; k++) {
    const index = order[k]!;
    const p = parent[index]!;
    const id = ids[index]!;
    nodes[k] = id;
    distances[k] = distance[index]!;
    parents[k] = p < 0 ? id : ids[p]!;
  }
}
