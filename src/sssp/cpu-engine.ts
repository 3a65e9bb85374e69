// The CPU engine: Dijkstra on the live CSR. `run` settles nodes in slices and yields to the event
// loop between slices (a 1M-node query never stalls the position stream for its whole length);
// if the graph changed while it was away the query answers 'graph-changed' rather than mixing two
// graph versions. `runSync` is the same computation in one go, for benchmarks and the reference.
import { setImmediate } from 'node:timers/promises';
import type { CsrView, DynamicCsr } from './csr.ts';
import type { WeightScale } from './weight-scale.ts';
import { BucketRun, bucketWidth } from './bucket-run.ts';
import { DijkstraRun, DijkstraScratch, type SettleRun } from './dijkstra.ts';
import { failure, prepareQuery, type PreparedQuery, type SsspEngine, type SsspOutcome, type SsspQuery, type SsspResult } from './engine.ts';

export interface CpuEngineOptions {
  /** Longest stretch of work between yields to the event loop (default 8 ms). */
  readonly sliceMs?: number;
  /**
   * Nodes settled between clock reads (default 2k). On a 1M-node graph 20k of them took well past
   * the 8 ms slice (event-loop delay p50 15 ms, p99 67 ms during queries; with 2k: 9 ms and 26 ms).
   */
  readonly popsPerCheck?: number;
  /** How to yield (default setImmediate); tests inject one that changes the graph mid-query. */
  readonly yieldTo?: () => Promise<void>;
  /**
   * Which queue: 'auto' (default) takes buckets when the weights allow and the radix queue
   * otherwise; 'radix' always the radix queue (its settle order is fully sorted). Tests force each.
   */
  readonly queue?: 'auto' | 'radix';
}

export class CpuSsspEngine implements SsspEngine {
  readonly kind = 'cpu' as const;
  readonly unavailable = undefined;
  private readonly scratch = new DijkstraScratch();
  private readonly sliceMs: number;
  private readonly popsPerCheck: number;
  private readonly yieldTo: () => Promise<void>;
  private readonly queue: 'auto' | 'radix';
  private busy = false;

  constructor(options: CpuEngineOptions = {}) {
    this.sliceMs = options.sliceMs ?? 8;
    this.popsPerCheck = Math.max(1, options.popsPerCheck ?? 2_000);
    this.yieldTo = options.yieldTo ?? setImmediate;
    this.queue = options.queue ?? 'auto';
  }

  runSync(graph: DynamicCsr, query: SsspQuery): SsspOutcome {
    const prepared = prepareQuery(graph, query);
    if ('code' in prepared) return { ok: false, error: prepared };
    const start = performance.now();
    // Not the shared scratch while an async run is using it between slices.
    const scratch = this.busy ? new DijkstraScratch() : this.scratch;
    const run = this.start(graph, scratch, prepared);
    run.step(Infinity);
    return { ok: true, result: resultOf(graph, query, prepared, run, performance.now() - start) };
  }

  async run(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
    const prepared = prepareQuery(graph, query);
    if ('code' in prepared) return { ok: false, error: prepared };
    // The scratch is shared: one query at a time (the actor runs them one at a time anyway).
    const scratch = this.busy ? new DijkstraScratch() : this.scratch;
    const owns = !this.busy;
    this.busy = true;
    try {
      const start = performance.now();
      const run = this.start(graph, scratch, prepared);
      let sliceStart = start;
      while (!run.step(this.popsPerCheck)) {
        if (performance.now() - sliceStart < this.sliceMs) continue;
        await this.yieldTo();
        if (graph.version !== prepared.version) {
          return failure('graph-changed', `graph moved from version ${prepared.version} to ${graph.version} during the query`);
        }
        sliceStart = performance.now();
      }
      return { ok: true, result: resultOf(graph, query, prepared, run, performance.now() - start) };
    } finally {
      if (owns) this.busy = false;
    }
  }

  dispose(): void {}

  private start(graph: DynamicCsr, scratch: DijkstraScratch, q: PreparedQuery): SettleRun {
    return startRun(graph, graph.weightScale(), this.queue, scratch, q);
  }
}

/** A run over `view`: the bucket queue where the weights allow it (and `queue` is 'auto'), else the radix queue. */
export function startRun(
  view: CsrView,
  scale: WeightScale | undefined,
  queue: 'auto' | 'radix',
  scratch: DijkstraScratch,
  q: PreparedQuery,
): SettleRun {
  const delta = queue === 'auto' ? bucketWidth(scale) : undefined;
  if (delta === undefined) return new DijkstraRun(view, scratch, q.sourceIndex, q.bound, q.targets);
  return new BucketRun(view, scratch, q.sourceIndex, q.bound, q.targets, scale, delta);
}

/** What a finished run leaves (a SettleRun, or its arrays back from a worker thread). */
export type RunAnswer = Pick<SettleRun, 'distance' | 'parent' | 'order' | 'settled' | 'sorted' | 'complete'>;

/** The answer of a finished run, as an SsspResult. */
export function resultOf(graph: DynamicCsr, query: SsspQuery, prepared: PreparedQuery, run: RunAnswer, elapsedMs: number): SsspResult {
  return {
    engine: 'cpu',
    version: prepared.version,
    source: query.source,
    sourceIndex: prepared.sourceIndex,
    size: graph.size,
    ids: graph.idOf.slice(0, graph.size),
    distance: run.distance,
    parent: run.parent,
    order: run.order.subarray(0, run.settled),
    sorted: run.sorted,
    complete: run.complete,
    maxDistance: prepared.bound,
    elapsedMs,
  };
}
