// Another client's shortest-path result as a client with a position filter receives it on the
// SSSP stream: only the nodes of its view (the ids of its position stream's current table), so a
// client that shows 2,000 nodes is not sent a million. Every client of one stream group holds the
// same view, so the restriction is made once per result and view, and shared.
//
// For each node of the view, listed still means reached, so `complete` keeps its meaning there. A
// listed node's parent may lie outside the view: the id is kept, the client simply does not show it.
import { SsspResultT } from '../protocol/index.ts';
import { sortedHas } from './sorted-ids.ts';

const restricted = new WeakMap<SsspResultT, WeakMap<Uint32Array, SsspResultT>>();

/** `result` restricted to the ids in `view` (ascending); `result` itself when all of it is in view. */
export function resultInView(result: SsspResultT, view: Uint32Array): SsspResultT {
  let byView = restricted.get(result);
  if (byView === undefined) restricted.set(result, (byView = new WeakMap()));
  const known = byView.get(view);
  if (known !== undefined) return known;
  const nodes: number[] = [];
  const distances: number[] = [];
  const parents: number[] = [];
  for (let i = 0; i < result.nodes.length; i++) {
    const id = result.nodes[i]!;
    if (!sortedHas(view, id)) continue;
    nodes.push(id);
    distances.push(result.distances[i]!);
    parents.push(result.parents[i]!);
  }
  const inView = nodes.length === result.nodes.length ? result : new SsspResultT(result.source, nodes, distances, parents, result.complete);
  byView.set(view, inView);
  return inView;
}
