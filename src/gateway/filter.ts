// A client's view of the position stream: which node kinds, at most how many nodes, inside which
// box. Given in the Subscribe message's PositionFilter (topic Positions) and held by the session, so
// it outlives a resume. The selection decides the client's id table: only selected nodes appear.
// The same view filters the client's graph-change stream (filterChange).
import { GraphBatchT, NodeKind, type GraphUpdateT, type PositionFilterT } from '../protocol/index.ts';
import type { ChangeScope, GraphMutation, PositionSnapshot } from './ports.ts';

export interface ClientFilter {
  /** Wire NodeKind values to keep; undefined keeps every kind. */
  readonly kinds?: ReadonlySet<number>;
  /** Keep at most this many nodes (the first ones, in the producer's order). */
  readonly maxNodes?: number;
  /** [min x, y, z, max x, y, z]: keep nodes inside (evaluated at most once per regionRefreshMs). */
  readonly region?: readonly number[];
}

export const NO_FILTER: ClientFilter = {};

/** The schema's bound on PositionFilter.max_nodes (that of a PositionIdTable). */
export const MAX_FILTER_NODES = 16_777_216;

const KNOWN_KINDS = new Set<number>(Object.values(NodeKind).filter((v): v is number => typeof v === 'number'));

export type FilterParse = { readonly ok: true; readonly filter: ClientFilter } | { readonly ok: false; readonly error: string };

/**
 * A Subscribe's PositionFilter as the filter a stream group applies, or why it cannot be one. The
 * envelope verifier has already refused most of this (unknown kinds, non-finite or inverted
 * regions, an oversized count); the checks here keep the gateway safe on any path that skips it.
 * Empty kinds and max_nodes 0 mean "no limit", as the schema says.
 */
export function filterFromWire(wire: PositionFilterT | null): FilterParse {
  if (wire === null) return { ok: true, filter: NO_FILTER };
  const filter: { kinds?: Set<number>; maxNodes?: number; region?: number[] } = {};
  if (wire.kinds.length > 0) {
    const kinds = new Set<number>();
    for (const kind of wire.kinds) {
      if (!KNOWN_KINDS.has(kind)) return { ok: false, error: `unknown node kind ${kind}` };
      kinds.add(kind);
    }
    filter.kinds = kinds;
  }
  if (wire.maxNodes !== 0) {
    if (!Number.isSafeInteger(wire.maxNodes) || wire.maxNodes < 0 || wire.maxNodes > MAX_FILTER_NODES) {
      return { ok: false, error: `max_nodes must be 0 (no limit) to ${MAX_FILTER_NODES}` };
    }
    filter.maxNodes = wire.maxNodes;
  }
  const { regionMin: min, regionMax: max } = wire;
  if (min !== null || max !== null) {
    if (min === null || max === null) return { ok: false, error: 'region_min and region_max come together' };
    const box = [min.x, min.y, min.z, max.x, max.y, max.z];
    if (!box.every(Number.isFinite)) return { ok: false, error: 'region corners must be finite' };
    if (box[0]! > box[3]! || box[1]! > box[4]! || box[2]! > box[5]!) return { ok: false, error: 'region_min must not be above region_max' };
    filter.region = box;
  }
  return { ok: true, filter };
}

/** A canonical text for the filter: clients with equal keys share one encoded stream. */
export function filterKey(filter: ClientFilter): string {
  const kinds = filter.kinds === undefined ? '*' : [...filter.kinds].sort((a, b) => a - b).join(',');
  return `k=${kinds};n=${filter.maxNodes ?? '*'};r=${filter.region?.join(',') ?? '*'}`;
}

export function isIdentity(filter: ClientFilter): boolean {
  return filter.kinds === undefined && filter.maxNodes === undefined && filter.region === undefined;
}

/** The snapshot indices the filter keeps, in snapshot order; null when it keeps all of them. */
export function selectIndices(filter: ClientFilter, snapshot: PositionSnapshot): Uint32Array | null {
  const n = snapshot.ids.length;
  if (isIdentity(filter) || (filter.kinds === undefined && filter.region === undefined && filter.maxNodes! >= n)) return null;
  const limit = Math.min(filter.maxNodes ?? n, n);
  const out = new Uint32Array(limit);
  const { kinds, region } = filter;
  const p = snapshot.positions;
  let m = 0;
  for (let i = 0; i < n && m < limit; i++) {
    if (kinds !== undefined && !kinds.has(snapshot.kinds[i]!)) continue;
    if (region !== undefined) {
      const x = p[3 * i]!, y = p[3 * i + 1]!, z = p[3 * i + 2]!;
      if (!(x >= region[0]! && x <= region[3]! && y >= region[1]! && y <= region[4]! && z >= region[2]! && z <= region[5]!)) continue;
    }
    out[m++] = i;
  }
  return m === limit ? out : out.slice(0, m);
}

export function sameIndices(a: Uint32Array | null, b: Uint32Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Copies the selected entries' xyz into `out` (resized when needed); returns it. */
export function gather(source: Float32Array, indices: Uint32Array, out: Float32Array): Float32Array {
  const target = out.length === 3 * indices.length ? out : new Float32Array(3 * indices.length);
  for (let k = 0; k < indices.length; k++) {
    const j = 3 * indices[k]!;
    target[3 * k] = source[j]!;
    target[3 * k + 1] = source[j + 1]!;
    target[3 * k + 2] = source[j + 2]!;
  }
  return target;
}

/** Whether the client's current selection holds node `id`; undefined when that is not known (yet). */
export type ViewTest = (id: number) => boolean | undefined;

/**
 * The ops of a committed change that concern this client's view, or null when none does. An op
 * concerns the view when every node it touches (a node op's node, an edge op's endpoints) is of a
 * kept kind (before or after the op, where it changed the kind) and, under a region or a node
 * count, is in the client's current selection. An added
 * node is judged by its kind alone: the next id table decides whether it enters the selection. An op
 * whose nodes the topology did not know is left out of a filtered stream.
 */
export function filterChange(change: GraphMutation, scopes: readonly ChangeScope[], filter: ClientFilter, inView: ViewTest): GraphMutation | null {
  if (isIdentity(filter)) return change;
  const updates = change.kind === 'update' ? [change.update] : change.batch.updates;
  const bySelection = filter.region !== undefined || filter.maxNodes !== undefined;
  const kept: GraphUpdateT[] = [];
  for (let k = 0; k < updates.length; k++) {
    const scope = scopes[k];
    if (scope !== undefined && concerns(scope, filter.kinds, bySelection, inView)) kept.push(updates[k]!);
  }
  if (kept.length === updates.length) return change;
  if (kept.length === 0) return null;
  // The updates carry the change's version themselves; a smaller batch keeps it too.
  return kept.length === 1 ? { kind: 'update', update: kept[0]! } : { kind: 'batch', batch: new GraphBatchT(kept, change.kind === 'batch' ? change.batch.version : 0n) };
}

function concerns(scope: ChangeScope, kinds: ReadonlySet<number> | undefined, bySelection: boolean, inView: ViewTest): boolean {
  if (scope.ids.length === 0) return false;
  // A node whose kind the op changed concerns the clients that keep either kind.
  const former = scope.formerKind;
  for (let i = 0; i < scope.ids.length; i++) {
    if (kinds !== undefined && !kinds.has(scope.kinds[i]!) && (former === undefined || !kinds.has(former))) return false;
    if (bySelection && !scope.adds && inView(scope.ids[i]!) === false) return false;
  }
  return true;
}
