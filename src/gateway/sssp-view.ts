// Another client's shortest-path result as a client with a position filter receives it on the
// SSSP stream: only the nodes of its view (the ids of its position stream's current table), so a
// client that shows 2,000 nodes is not sent a million. Every client of one stream group holds the
// same view, so the restriction is made once per result and view, and shared (its envelope too).
//
// For each node of the view, listed still means reached, so `complete` keeps its meaning there. A
// listed node's parent may lie outside the view: the id is kept, the client simply does not show it.
import { draftSsspResultEnvelope } from '../protocol/envelope/sssp-result-envelope.ts';
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
    // Straight into its own envelope: the restricted result is sent as it is made.
    const draft = draftSsspResultEnvelope(result.source, keep.length, result.complete);
    keep.forEach((i, k) => {
      draft.nodes[k] = result.nodes[i]!;
      draft.distances[k] = result.distances[i]!;
      draft.parents[k] = result.parents[i]!;
    });
    inView = SsspResultWire.fromDraft(result.source, result.complete, draft);
  }
  byView.set(view, inView);
  return inView;
}
