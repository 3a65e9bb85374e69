// A client's view of the position stream: which node kinds and types, blocks folded into their
// pages or not, which degrees, at most how many nodes, inside which box. Given in the Subscribe
// message's PositionFilter (topic Positions) and held by the session, so it outlives a resume. The
// selection decides the client's id table: only selected nodes appear. The same view filters the
// client's graph-change stream (filterChange) by kind and selection; types, folds and degrees leave
// that stream whole, because a client folding blocks needs their edges to draw its pages' links.
import { GraphBatchT, NodeKind, type GraphUpdateT, type PositionFilterT } from '../protocol/index.ts';
import type { NodeFacets } from './node-facets.ts';
import type { ChangeScope, GraphMutation, PositionSnapshot } from './ports.ts';

export interface ClientFilter {
  /** Wire NodeKind values to keep; undefined keeps every kind. */
  readonly kinds?: ReadonlySet<number>;
  /** Keep at most this many nodes (the first ones, in the producer's order). */
  readonly maxNodes?: number;
  /** [min x, y, z, max x, y, z]: keep nodes inside (evaluated at most once per regionRefreshMs). */
  readonly region?: readonly number[];
  /** Node types to keep ("" for nodes without one); undefined keeps every type. */
  readonly types?: ReadonlySet<string>;
  /** Blocks fold into their page (node-facets.ts) and leave the selection. */
  readonly foldBlocks?: boolean;
  /** Keep nodes of at least this degree (folded degree when folding). */
  readonly minDegree?: number;
  /** Keep nodes of at most this degree. */
  readonly maxDegree?: number;
}

export const NO_FILTER: ClientFilter = {};

/** The schema's bound on PositionFilter.max_nodes (that of a PositionIdTable). */
export const MAX_FILTER_NODES = 16_777_216;

/** Longest type name a filter may name (longer ones are no type any node has). */
export const MAX_FILTER_TYPE_LENGTH = 256;

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
  const filter: { -readonly [K in keyof ClientFilter]: ClientFilter[K] } = {};
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
  if (wire.types.length > 0) {
    const types = new Set<string>();
    for (const type of wire.types) {
      if (typeof type !== 'string' || type.length > MAX_FILTER_TYPE_LENGTH)
        return { ok: false, error: `a type is a string of at most ${MAX_FILTER_TYPE_LENGTH} characters` };
      types.add(type);
    }
    filter.types = types;
  }
  if (wire.foldBlocks) filter.foldBlocks = true;
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!whole(wire.minDegree) || !whole(wire.maxDegree))
    return { ok: false, error: 'min_degree and max_degree are unsigned 32-bit integers' };
  if (wire.maxDegree !== 0 && wire.minDegree > wire.maxDegree) return { ok: false, error: 'min_degree must not be above max_degree' };
  if (wire.minDegree > 0) filter.minDegree = wire.minDegree;
  if (wire.maxDegree > 0) filter.maxDegree = wire.maxDegree;
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
  const base = `k=${kinds};n=${filter.maxNodes ?? '*'};r=${filter.region?.join(',') ?? '*'}`;
  if (!usesFacets(filter)) return base;
  const types = filter.types === undefined ? '*' : JSON.stringify([...filter.types].sort());
  return `${base};t=${types};f=${filter.foldBlocks === true ? 1 : 0};d=${filter.minDegree ?? 0}-${filter.maxDegree ?? '*'}`;
}

export function isIdentity(filter: ClientFilter): boolean {
  return filter.kinds === undefined && filter.maxNodes === undefined && filter.region === undefined && !usesFacets(filter);
}

/** Whether the filter reads the snapshot's facets (types, folds, degrees). */
export function usesFacets(filter: ClientFilter): boolean {
  return filter.types !== undefined || filter.foldBlocks === true || filter.minDegree !== undefined || filter.maxDegree !== undefined;
}

/**
 * The snapshot indices the filter keeps, in snapshot order; null when it keeps all of them. A
 * snapshot without facets (a producer that does not follow the topology) passes every type,
 * fold and degree test.
 */
export function selectIndices(filter: ClientFilter, snapshot: PositionSnapshot): Uint32Array | null {
  const n = snapshot.ids.length;
  const facets = usesFacets(filter) ? snapshot.facets : undefined;
  if (
    isIdentity(filter) ||
    (filter.kinds === undefined && filter.region === undefined && facets === undefined && (filter.maxNodes ?? n) >= n)
  )
    return null;
  const limit = Math.min(filter.maxNodes ?? n, n);
  const out = new Uint32Array(limit);
  const { kinds, region } = filter;
  const keepsNode = facets === undefined ? undefined : facetTest(filter, facets);
  const p = snapshot.positions;
  let m = 0;
  for (let i = 0; i < n && m < limit; i++) {
    if (kinds !== undefined && !kinds.has(snapshot.kinds[i]!)) continue;
    if (keepsNode !== undefined && !keepsNode(snapshot.ids[i]!)) continue;
    if (region !== undefined) {
      const x = p[3 * i]!,
        y = p[3 * i + 1]!,
        z = p[3 * i + 2]!;
      if (!(x >= region[0]! && x <= region[3]! && y >= region[1]! && y <= region[4]! && z >= region[2]! && z <= region[5]!)) continue;
    }
    out[m++] = i;
  }
  return m === limit ? out : out.slice(0, m);
}

function facetTest(filter: ClientFilter, facets: NodeFacets): (id: number) => boolean {
  const names = facets.typeNames;
  const typeKept = filter.types === undefined ? undefined : names.map((name) => filter.types!.has(name));
  const fold = filter.foldBlocks === true;
  // Until the folds are known, a folding filter leaves blocks out rather than show every one.
  const block = fold && !facets.edgesKnown ? names.indexOf('block') : -1;
  const min = filter.minDegree ?? 0;
  const max = filter.maxDegree ?? Infinity;
  const byDegree = min > 0 || max < Infinity;
  return (id) => {
    if (typeKept !== undefined && typeKept[facets.typeOf(id)] !== true) return false;
    if (fold && (facets.foldsInto(id) !== undefined || (block > 0 && facets.typeOf(id) === block))) return false;
    if (byDegree) {
      const d = facets.degreeOf(id, fold);
      if (d < min || d > max) return false;
    }
    return true;
  };
}

/**
 * Under a folding filter, the nodes folded away whose fold target is in the selection, with that
 * target: [folded ids, their targets], index for index. Empty without folding or facets.
 */
export function foldedInto(filter: ClientFilter, snapshot: PositionSnapshot, selectedIds: Uint32Array): [Uint32Array, Uint32Array] {
  const facets = snapshot.facets;
  if (filter.foldBlocks !== true || facets === undefined) return [new Uint32Array(0), new Uint32Array(0)];
  const selected = new Set(selectedIds);
  const folded: number[] = [];
  const into: number[] = [];
  for (const id of snapshot.ids) {
    const target = facets.foldsInto(id);
    if (target !== undefined && selected.has(target)) {
      folded.push(id);
      into.push(target);
    }
  }
  return [Uint32Array.from(folded), Uint32Array.from(into)];
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
export function filterChange(
  change: GraphMutation,
  scopes: readonly ChangeScope[],
  filter: ClientFilter,
  inView: ViewTest,
): GraphMutation | null {
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
  return kept.length === 1
    ? { kind: 'update', update: kept[0]! }
    : { kind: 'batch', batch: new GraphBatchT(kept, change.kind === 'batch' ? change.batch.version : 0n) };
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
