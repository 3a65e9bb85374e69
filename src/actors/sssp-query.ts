// How the SSSP actor answers a query: on the graph view it needs (the main copy, or the undirected
// copy, built on first use and dropped when idle), on the GPU when there is one and the graph is
// big enough to be worth it, else on the worker thread, else on this thread; then the answer to the
// asker and the frames to the subscribers.
import { setImmediate } from 'node:timers/promises';
import { DynamicCsr } from '../sssp/csr.ts';
import type { SsspOutcome, SsspQuery, SsspResult } from '../sssp/engine.ts';
import { encodePathFrame, encodeTreeFrame } from '../sssp/frame/encoder.ts';
import type { DistanceEncodingName } from '../sssp/frame/header.ts';
import { pathIndices } from '../sssp/paths.ts';
import type { SsspPath, SsspQueryMsg } from './sssp.ts';
import type { SsspState } from './sssp-state.ts';

export const ENCODINGS: readonly DistanceEncodingName[] = ['f64', 'f32', 'u16'];
const GPU_FAILURES_BEFORE_DISABLE = 3;

export async function onQuery(s: SsspState, msg: SsspQueryMsg): Promise<void> {
  s.stats.queries++;
  const query: SsspQuery = { source: msg.source, targets: msg.targets, maxDistance: msg.maxDistance };
  const view = await viewFor(s, msg);
  const outcome = await runQuery(s, view, query);
  if (!outcome.ok) {
    s.stats.errors++;
    msg.replyTo?.tell({ ok: false, error: outcome.error });
    return;
  }
  const result = outcome.result;
  s.stats.lastRunMs = result.elapsedMs;
  const targets = Array.isArray(msg.targets) ? msg.targets : [];
  const paths = targets.map((t): SsspPath => {
    const index = view.indexOf(t)!;
    const path = pathIndices(result, index);
    return { target: t, distance: result.distance[index]!, nodes: path === null ? null : Array.from(path, (i) => result.ids[i]!) };
  });
  msg.replyTo?.tell({ ok: true, result, paths });
  broadcast(s, view, result, targets);
}

/** The graph a query reads: the main copy, or the undirected one (built now if it is missing). */
async function viewFor(s: SsspState, msg: SsspQueryMsg): Promise<DynamicCsr> {
  const graph = s.graph;
  if (msg.undirected !== true || graph.version < 0) return graph;
  if (graph.directedEdgeCount === 0) {
    // Without directed edges both readings are the same graph: no copy needed.
    s.undirected = undefined;
    return graph;
  }
  s.undirectedUsedAt = s.ctx.system.clock.now();
  if (s.undirected === undefined || s.undirected.version !== graph.version) {
    const copy = new DynamicCsr('undirected');
    // The mailbox waits meanwhile, so the main copy holds still while it is read.
    await copy.copyInSlices(graph, setImmediate);
    s.undirected = copy;
    s.stats.undirectedBuilds++;
  }
  if (!s.idleTimerArmed) {
    s.idleTimerArmed = true;
    s.ctx.scheduleOnce(s.undirectedIdleMs, { type: 'sssp-undirected-idle' });
  }
  return s.undirected;
}

export function onUndirectedIdle(s: SsspState): void {
  s.idleTimerArmed = false;
  if (s.undirected === undefined) return;
  const left = s.undirectedUsedAt + s.undirectedIdleMs - s.ctx.system.clock.now();
  if (left <= 0) {
    s.undirected = undefined;
    return;
  }
  s.idleTimerArmed = true;
  s.ctx.scheduleOnce(left, { type: 'sssp-undirected-idle' });
}

/** Every engine reads the same `view` (the GPU's device copy is refreshed when the view or its version changes). */
async function runQuery(s: SsspState, view: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
  const engine = s.gpu;
  if (engine !== undefined && view.nodeCount >= (s.options.gpuMinNodes ?? 50_000)) {
    const outcome = await engine.run(view, query);
    if (outcome.ok || outcome.error.code !== 'engine-failed') {
      s.stats.gpuRuns++;
      return outcome;
    }
    s.stats.gpuFallbacks++;
    if (++s.gpuFailures >= GPU_FAILURES_BEFORE_DISABLE) {
      s.gpuStatus = `disabled after ${s.gpuFailures} failures: ${outcome.error.message}`;
      engine.dispose();
      s.gpu = undefined;
    }
  }
  s.stats.cpuRuns++;
  const off = s.worker;
  if (off !== undefined) {
    const outcome = await off.run(view, query);
    if (outcome.ok || outcome.error.code !== 'engine-failed') return outcome;
    // The worker is gone: this query, and every later one, on this thread.
    s.workerStatus = `failed: ${outcome.error.message.split('\n')[0]}`;
    off.dispose();
    s.worker = undefined;
  }
  let outcome = await s.cpu.run(view, query);
  // Only possible if something outside this actor changes the graph; never mix versions.
  if (!outcome.ok && outcome.error.code === 'graph-changed') outcome = await s.cpu.run(view, query);
  return outcome;
}

function broadcast(s: SsspState, view: DynamicCsr, result: SsspResult, targets: readonly number[]): void {
  if (s.subscribers.size === 0) return;
  sendFrames(s, result, 'tree', (encoding, seq) => encodeTreeFrame(result, { seq, encoding }));
  for (const t of targets) {
    const index = view.version === result.version ? view.indexOf(t) : undefined;
    if (index !== undefined) sendFrames(s, result, 'path', (encoding, seq) => encodePathFrame(result, index, { seq, encoding }));
  }
}

/** One frame to every subscriber, encoded once per encoding in use; null from `encode`: none. */
function sendFrames(
  s: SsspState,
  result: SsspResult,
  kind: 'tree' | 'path',
  encode: (encoding: DistanceEncodingName, seq: number) => Uint8Array | null,
): void {
  const frameSeq = s.frameSeq;
  let sent = false;
  for (const encoding of ENCODINGS) {
    let bytes: Uint8Array | null | undefined;
    for (const sub of s.subscribers.values()) {
      if (sub.encoding !== encoding) continue;
      bytes ??= encode(encoding, frameSeq);
      if (bytes === null) return;
      sub.ref.tell({ type: 'sssp-frame', kind, version: result.version, source: result.source, bytes });
      s.stats.framesSent++;
      sent = true;
    }
  }
  if (sent) s.frameSeq = (s.frameSeq + 1) >>> 0;
}
