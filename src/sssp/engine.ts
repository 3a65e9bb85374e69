// What every SSSP engine (CPU Dijkstra, GPU frontier relaxation) takes and gives, and the checks
// a query passes before any engine sees it. A result is always tagged with the graph version it
// was computed on; an engine that sees the graph change under a query says so instead of mixing
// two versions.
import { isBadWeight, type DynamicCsr } from './csr.ts';
import type { SsspResultEnvelopeDraft } from '../protocol/envelope/sssp-result-envelope.ts';

export interface SsspQuery {
  /** Wire id of the source node. */
  readonly source: number;
  /** Stop once these nodes are settled (their distances and paths are then exact). */
  readonly targets?: readonly number[];
  /** Only nodes at most this far away; undefined or Infinity for no bound. */
  readonly maxDistance?: number;
}

export type SsspErrorCode =
  'no-graph' | 'unknown-source' | 'unknown-target' | 'negative-weight' | 'bad-query' | 'graph-changed' | 'engine-failed';

export interface SsspError {
  readonly code: SsspErrorCode;
  readonly message: string;
}

export interface SsspResult {
  readonly engine: 'cpu' | 'gpu';
  /** The graph version every distance here belongs to. */
  readonly version: number;
  readonly source: number;
  readonly sourceIndex: number;
  /** Index space of the graph at that version. */
  readonly size: number;
  /** Wire id per index at that version. */
  readonly ids: Uint32Array;
  /** Per index; Infinity for nodes not reached (unreachable, beyond the bound, or not settled before an early exit). */
  readonly distance: Float64Array;
  /** Per index: the previous node on a shortest path; -1 for the source and nodes not reached. */
  readonly parent: Int32Array;
  /** The reached indices, the source first; in nondecreasing distance when `sorted`. */
  readonly order: Int32Array;
  readonly sorted: boolean;
  /** False when the run stopped early (its targets were settled): nodes not listed may still be reachable. */
  readonly complete: boolean;
  readonly maxDistance: number;
  readonly elapsedMs: number;
  /** The reached nodes gathered into the envelope clients are sent, when the engine did it (the worker does). */
  readonly wire?: SsspResultEnvelopeDraft;
}

export type SsspOutcome = { readonly ok: true; readonly result: SsspResult } | { readonly ok: false; readonly error: SsspError };

export interface SsspEngine {
  readonly kind: 'cpu' | 'gpu';
  /** Why the engine cannot run, when it cannot (no GPU, no driver); undefined when it can. */
  readonly unavailable: string | undefined;
  run(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome>;
  dispose(): void;
}

export interface PreparedQuery {
  readonly version: number;
  readonly sourceIndex: number;
  /** Target indices (deduplicated), or null to settle everything reachable. */
  readonly targets: Int32Array | null;
  readonly bound: number;
}

export function failure(code: SsspErrorCode, message: string): SsspOutcome {
  return { ok: false, error: { code, message } };
}

/** Checks a query against the graph as it stands. */
export function prepareQuery(graph: DynamicCsr, query: SsspQuery): PreparedQuery | SsspError {
  if (graph.version < 0) return { code: 'no-graph', message: 'no graph snapshot has arrived yet' };
  const sourceIndex = typeof query.source === 'number' ? graph.indexOf(query.source) : undefined;
  if (sourceIndex === undefined)
    return { code: 'unknown-source', message: `node ${String(query.source)} is not in graph version ${graph.version}` };
  const bound = query.maxDistance ?? Infinity;
  if (typeof bound !== 'number' || !(bound >= 0))
    return { code: 'bad-query', message: `maxDistance ${String(bound)} is not a non-negative number` };
  let targets: Int32Array | null = null;
  if (query.targets !== undefined) {
    if (!Array.isArray(query.targets)) return { code: 'bad-query', message: 'targets must be an array of node ids' };
    const set = new Set<number>();
    for (const id of query.targets) {
      const i = typeof id === 'number' ? graph.indexOf(id) : undefined;
      if (i === undefined) return { code: 'unknown-target', message: `target ${String(id)} is not in graph version ${graph.version}` };
      set.add(i);
    }
    targets = Int32Array.from(set);
  }
  const bad = graph.badEdge();
  if (bad !== undefined) {
    return { code: 'negative-weight', message: `edge ${bad.id} has weight ${bad.weight}; shortest paths need non-negative weights` };
  }
  return { version: graph.version, sourceIndex, targets, bound };
}

export { isBadWeight };
