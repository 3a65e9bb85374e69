// The shortest-path worker thread: runs one query at a time, in place, on the CSR arrays the main
// thread shares with it (SharedArrayBuffers; the SSSP actor changes nothing while a query runs),
// gathers the answer's wire vectors (wire-vectors.ts) straight into the envelope clients are sent
// while it is at it, and hands the arrays back by transfer, so nothing of size n is copied either way.
import { parentPort } from 'node:worker_threads';
import { startRun } from './cpu-engine.ts';
import type { CsrView } from './csr.ts';
import { DijkstraScratch } from './dijkstra.ts';
import type { PreparedQuery } from './engine.ts';
import type { WeightScale } from './weight-scale.ts';
import { draftSsspResultEnvelope, type SsspResultEnvelopeDraft } from '../protocol/envelope/sssp-result-envelope.ts';
import { gatherWire } from './wire-vectors.ts';

export interface WorkerQuery {
  readonly id: number;
  readonly view: CsrView;
  /** The graph's wire id per index (shared), for the wire vectors. */
  readonly ids: Uint32Array;
  readonly scale: WeightScale | undefined;
  readonly queue: 'auto' | 'radix';
  readonly query: PreparedQuery;
}

export type WorkerAnswer =
  | {
      readonly id: number;
      readonly ok: true;
      readonly distance: Float64Array;
      readonly parent: Int32Array;
      readonly order: Int32Array;
      readonly settled: number;
      readonly sorted: boolean;
      readonly complete: boolean;
      /** The reached nodes, in settle order, gathered into the envelope clients are sent. */
      readonly wire: SsspResultEnvelopeDraft;
    }
  | { readonly id: number; readonly ok: false; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('sssp worker.ts runs in a worker thread');
const scratch = new DijkstraScratch();

port.on('message', (m: WorkerQuery) => {
  try {
    const run = startRun(m.view, m.scale, m.queue, scratch, m.query);
    run.step(Infinity);
    const order = run.order.subarray(0, run.settled);
    // Straight into the envelope clients are sent (its vectors are views into it): the main thread
    // then only stamps each receiver's head.
    const wire = draftSsspResultEnvelope(m.ids[m.query.sourceIndex]!, order.length, run.complete);
    gatherWire(m.ids, run.distance, run.parent, order, wire);
    const answer: WorkerAnswer = {
      id: m.id,
      ok: true,
      distance: run.distance,
      parent: run.parent,
      order: run.order,
      settled: run.settled,
      sorted: run.sorted,
      complete: run.complete,
      wire,
    };
    // Fresh per run (RunBase), so plain ArrayBuffers that may move.
    const moved = [run.distance, run.parent, run.order, wire.bytes].map((a) => a.buffer as ArrayBuffer);
    port.postMessage(answer, moved);
  } catch (error) {
    port.postMessage({
      id: m.id,
      ok: false,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies WorkerAnswer);
  }
});
port.postMessage('ready');
