// Another client's shortest-path result as a client with a position filter receives it on the
// SSSP stream: only the nodes of its view (the ids of its position stream's current table), so a
// client that shows 2,000 nodes is not sent a million. Every client of one stream group holds the
// same view, so the restriction is made once per result and view, and shared (its envelope too).
//
// For each node of the view, listed still means reached, so `complete` keeps its meaning there. A
// listed node's parent may lie outside the view: the id is kept, the client simply does not show it.
import { idMembership } from './sorted-ids.ts';
import { SsspResultWire } from './sssp-result-wire.ts';

const restricted = new WeakMap<SsspResultWire, WeakMap<Uint32Array, SsspResultWire>>();

/** `result` restricted to the ids in `view` (ascending); `result` itself when all of it is in view. */
export function resultInView(result: SsspResultWire, view: Uint32Array): SsspResultWire {
  let byView = restricted.get(result);
  if (byView === undefined) restricted.set(result, (byView = new WeakMap()));
  const known = byView.get(view);
  if (known !== undefined) return known;
  const n = result.size;
  const inViewId = idMembership(view);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (inViewId(result.nodes[i]!)) keep.push(i);
  let inView = result;
  if (keep.length < n) {
    const nodes = new Uint32Array(keep.length);
    const distances = new Float32Array(keep.length);
    const parents = new Uint32Array(keep.length);
    keep.forEach((i, k) => {
      nodes[k] = result.nodes[i]!;
      distances[k] = result.distances[i]!;
      parents[k] = result.parents[i]!;
    });
    inView = new SsspResultWire(result.source, nodes, distances, parents, result.complete);
  }
  byView.set(view, inView);
  return inView;
}
