// A client's view of the position stream: which node kinds, at most how many nodes, inside which
// box. Given in the WebSocket URL (?kinds=file,concept&maxNodes=5000&region=x0,y0,z0,x1,y1,z1) and
// kept across a resume. The selection decides the client's id table: only selected nodes appear.
import { NodeKind } from '../protocol/index.ts';
import type { PositionSnapshot } from './ports.ts';

export interface ClientFilter {
  /** Wire NodeKind values to keep; undefined keeps every kind. */
  readonly kinds?: ReadonlySet<number>;
  /** Keep at most this many nodes (the first ones, in the producer's order). */
  readonly maxNodes?: number;
  /** [min x, y, z, max x, y, z]: keep nodes inside (evaluated at most once per regionRefreshMs). */
  readonly region?: readonly number[];
}

export const NO_FILTER: ClientFilter = {};

const KIND_NAMES = new Map<string, number>(
  Object.entries(NodeKind)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, value]) => [name.toLowerCase(), value]),
);

export type FilterParse = { readonly ok: true; readonly filter: ClientFilter } | { readonly ok: false; readonly error: string };

export function parseFilter(params: URLSearchParams): FilterParse {
  const filter: { kinds?: Set<number>; maxNodes?: number; region?: number[] } = {};
  const kinds = params.get('kinds');
  if (kinds !== null && kinds !== '') {
    const set = new Set<number>();
    for (const name of kinds.split(',')) {
      const kind = KIND_NAMES.get(name.trim().toLowerCase());
      if (kind === undefined) return { ok: false, error: `unknown node kind "${name.slice(0, 32)}"` };
      set.add(kind);
    }
    filter.kinds = set;
  }
  const max = params.get('maxNodes');
  if (max !== null && max !== '') {
    const n = Number(max);
    if (!Number.isSafeInteger(n) || n < 1) return { ok: false, error: 'maxNodes must be a positive integer' };
    filter.maxNodes = n;
  }
  const region = params.get('region');
  if (region !== null && region !== '') {
    const box = region.split(',').map(Number);
    if (box.length !== 6 || !box.every(Number.isFinite) || box[0]! > box[3]! || box[1]! > box[4]! || box[2]! > box[5]!) {
      return { ok: false, error: 'region must be six finite numbers: min x,y,z then max x,y,z' };
    }
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
