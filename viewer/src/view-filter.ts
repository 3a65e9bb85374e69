// What this viewer asks the server to stream (the Subscribe's PositionFilter), from this browser's
// view settings: blocks folded into their page unless shown, the node types and agents left out,
// orphans and a degree range. The server applies it, so hidden nodes cost no bandwidth.
import { NodeKind, PositionFilterT } from '../../src/protocol/index.ts';
import type { ViewSettings } from './local-settings.ts';

const ALL_KINDS: readonly NodeKind[] = Object.values(NodeKind).filter((v): v is NodeKind => typeof v === 'number');

/** The filter for these settings; `typeNames`: every type the graph holds ("" for untyped nodes). */
export function positionFilter(view: Readonly<ViewSettings>, typeNames: readonly string[]): PositionFilterT {
  const hidden = new Set(view.hiddenTypes);
  const known = typeNames.length > 0 ? typeNames : [''];
  const types = known.some((t) => hidden.has(t)) ? known.filter((t) => !hidden.has(t)) : [];
  const kinds = view.hideAgents ? ALL_KINDS.filter((k) => k !== NodeKind.Agent) : [];
  const min = Math.max(view.minDegree, view.hideOrphans ? 1 : 0);
  const max = view.maxDegree > 0 ? Math.max(view.maxDegree, min) : 0;
  // Every type hidden would show nothing at all: keep one that cannot exist instead of none.
  const kept = types.length === 0 && known.every((t) => hidden.has(t)) ? ['\u0000none'] : types;
  return new PositionFilterT(kinds, 0, null, null, kept, !view.showBlocks, min, max);
}
