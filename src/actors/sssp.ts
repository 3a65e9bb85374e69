// The SSSP actor: keeps a CSR of the live graph current from the topology stream, answers
// shortest-path queries on the GPU when there is one (and the graph is big enough to be worth it)
// or on the CPU, and streams each answer to its subscribers as SSSP frames: the shortest-path tree
// (distance and parent per reached node) and one path frame per reached target (the highlight).
//
// Messages (SsspMsg):
//   TopologyChange                     from the graph (src/graph/topology.ts): a 'reset', then changes.
//                                      A change that does not fit, or a skipped change number (one
//                                      lost to a full mailbox), drops the graph and re-subscribes for
//                                      a fresh reset; queries meanwhile answer 'no-graph'.
//   { type: 'sssp-query', source, targets?, maxDistance?, undirected?, replyTo? }
//                                      replyTo gets an SsspReply: the result (tagged with the graph
//                                      version it used), the paths to the targets, or an error
//                                      (unknown-source, unknown-target, negative-weight, bad-query,
//                                      no-graph). Subscribers get the frames. Directed edges are
//                                      followed one way, undirected ones both; `undirected` follows
//                                      every edge both ways.
//   { type: 'sssp-subscribe', subscriber, encoding? }   frames (SsspStreamMsg) go to subscriber;
//                                      encoding 'u16' (default, for colouring), 'f32' or 'f64'.
//   { type: 'sssp-unsubscribe', subscriber }
//   { type: 'sssp-stats', replyTo }    an SsspStats.
//   { type: 'sssp-undirected-idle' }   (to self) drops the undirected copy once unused for a while.
//   { type: 'sssp-worker-opened' | 'sssp-worker-failed' }   (to self) the worker engine is up, or not.
//
// The undirected reading: a second CSR of the same graph with every edge laid out both ways, so
// that the engines' loop stays the same plain walk over arcs. It is built from the main copy on the
// first undirected query that needs it (none while the graph has no directed edges), kept in step
// change by change while it is used, and dropped after `undirectedIdleMs` without such a query, on
// a reset and on a resync: at most one copy, never more than the graph's own size again.
//
// Consistency: one message at a time, async handlers included, so topology changes wait in the
// mailbox while a query runs or a snapshot loads (in slices, so that a big one leaves the event
// loop free); every result and frame carries the single graph version it used.
// Where the pieces are: the state, sssp-state.ts; answering a query, sssp-query.ts.
import { setImmediate } from 'node:timers/promises';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { TopologyChange, TopologySubscription } from '../graph/topology.ts';
import type { CpuEngineOptions } from '../sssp/cpu-engine.ts';
import { DynamicCsr, TopologyError } from '../sssp/csr.ts';
import type { SsspEngine, SsspError, SsspResult } from '../sssp/engine.ts';
import type { DistanceEncodingName } from '../sssp/frame/header.ts';
import { GpuSsspEngine } from '../sssp/gpu-engine.ts';
import { WorkerSsspEngine } from '../sssp/worker-engine.ts';
import { ENCODINGS, onQuery, onUndirectedIdle } from './sssp-query.ts';
import { newSsspState, type SsspState, type SsspSubscriber } from './sssp-state.ts';
import { Subscriptions } from './subscriptions.ts';

export interface SsspQueryMsg {
  readonly type: 'sssp-query';
  readonly source: number;
  readonly targets?: readonly number[];
  readonly maxDistance?: number;
  /** Follow every edge both ways, directed ones included. */
  readonly undirected?: boolean;
  readonly replyTo?: Ref<SsspReply>;
}

export interface SsspPath {
  readonly target: number;
  /** Infinity when the target was not reached. */
  readonly distance: number;
  /** Node ids from the source to the target; null when not reached. */
  readonly nodes: readonly number[] | null;
}

export type SsspReply =
  | { readonly ok: true; readonly result: SsspResult; readonly paths: readonly SsspPath[] }
  | { readonly ok: false; readonly error: SsspError };

export interface SsspStreamMsg {
  readonly type: 'sssp-frame';
  readonly kind: 'tree' | 'path';
  readonly version: number;
  readonly source: number;
  /** An SSSP frame (src/sssp/frame/header.ts); shared between subscribers: do not modify. */
  readonly bytes: Uint8Array;
}

export interface SsspStats {
  readonly graphVersion: number;
  readonly nodes: number;
  readonly edges: number;
  readonly queries: number;
  readonly errors: number;
  readonly cpuRuns: number;
  readonly gpuRuns: number;
  /** GPU runs that failed and were answered by the CPU instead. */
  readonly gpuFallbacks: number;
  /** The device name, or why there is no GPU engine. */
  readonly gpu: string;
  /** Where CPU queries run: 'worker thread', 'this thread', or why the worker is not used. */
  readonly cpu: string;
  readonly subscribers: number;
  readonly resyncs: number;
  readonly framesSent: number;
  readonly lastRunMs: number;
  /** Live directed edges (followed one way unless a query asks otherwise). */
  readonly directedEdges: number;
  /** Whether the undirected copy of the graph is held now. */
  readonly undirectedCopy: boolean;
  /** Times the undirected copy was built. */
  readonly undirectedBuilds: number;
}

export type SsspMsg =
  | TopologyChange
  | SsspQueryMsg
  | { readonly type: 'sssp-subscribe'; readonly subscriber: Ref<SsspStreamMsg>; readonly encoding?: DistanceEncodingName }
  | { readonly type: 'sssp-unsubscribe'; readonly subscriber: Ref<SsspStreamMsg> }
  | { readonly type: 'sssp-stats'; readonly replyTo: Ref<SsspStats> }
  | { readonly type: 'sssp-undirected-idle' }
  /** To self: the worker engine opened (by the incarnation `incarnation`), or could not. */
  | { readonly type: 'sssp-worker-opened'; readonly incarnation: number; readonly engine: SsspEngine }
  | { readonly type: 'sssp-worker-failed'; readonly incarnation: number; readonly error: string };

export interface SsspActorOptions {
  /** The graph's topology publisher to subscribe to; without one, changes must be told directly. */
  readonly topology?: Ref<TopologySubscription>;
  /** How long the undirected copy is kept after the last query that used it (default 10 minutes). */
  readonly undirectedIdleMs?: number;
  /** 'auto' (default): use a GPU when one opens; 'off': CPU only. */
  readonly gpu?: 'auto' | 'off';
  /** Below this many nodes the CPU answers even when a GPU exists (transfers dominate). Default 50k. */
  readonly gpuMinNodes?: number;
  /** Opens the GPU engine (default GpuSsspEngine.open); tests inject fakes. */
  readonly openGpu?: () => Promise<SsspEngine>;
  readonly cpu?: CpuEngineOptions;
  /**
   * 'auto' (default): CPU queries run on a worker thread (worker-engine.ts), so a long one never
   * holds the event loop that streams positions; if the worker cannot start or fails, they run on
   * this thread in slices. 'off': always on this thread (tests that inject `cpu` options).
   */
  readonly cpuWorker?: 'auto' | 'off';
  /** Opens the worker engine (default WorkerSsspEngine.open); tests inject failing ones. */
  readonly openWorker?: () => Promise<SsspEngine>;
  /** Most frame subscribers (default 10,000); more are refused. */
  readonly maxSubscribers?: number;
}

type MsgOf<T extends SsspMsg['type']> = Extract<SsspMsg, { type: T }>;

/** Its name under /app/compute (the application tree, src/supervisors/app-tree.ts). */
export const SSSP_NAME = 'sssp';

export function ssspActor(options: SsspActorOptions = {}): ActorFactory<SsspMsg> {
  // Outlive restarts: a subscriber never hears of one, and must not be cut off by it.
  const subscribers = new Subscriptions<SsspSubscriber>(options.maxSubscribers ?? 10_000);
  return (ctx: ActorContext<SsspMsg>) => {
    const s = newSsspState(ctx, options, subscribers);
    return {
      preStart: () => preStart(s),
      postStop: () => postStop(s),
      receive: (msg) => receive(s, msg),
    };
  };
}

function gone(subscriber: Ref<SsspStreamMsg>): SsspMsg {
  return { type: 'sssp-unsubscribe', subscriber };
}

async function receive(s: SsspState, msg: SsspMsg): Promise<void> {
  switch (msg.type) {
    case 'sssp-query':
      return onQuery(s, msg);
    case 'sssp-subscribe':
      s.subscribers.add(
        s.ctx,
        { ref: msg.subscriber, encoding: ENCODINGS.includes(msg.encoding as DistanceEncodingName) ? msg.encoding! : 'u16' },
        gone(msg.subscriber),
      );
      return;
    case 'sssp-unsubscribe':
      s.subscribers.delete(msg.subscriber);
      return;
    case 'sssp-stats':
      return msg.replyTo.tell(stats(s));
    case 'sssp-undirected-idle':
      return onUndirectedIdle(s);
    case 'sssp-worker-opened':
    case 'sssp-worker-failed':
      return workerOpened(s, msg);
    case 'reset':
    case 'nodes-added':
    case 'nodes-removed':
    case 'nodes-moved':
    case 'edges-added':
    case 'edges-removed':
    case 'edge-weights-changed':
      return onTopology(s, msg);
    default:
      return unreachable(msg);
  }
}

function unreachable(value: never): never {
  throw new Error(`sssp: unhandled message ${String((value as { type?: unknown }).type)}`);
}

function stats(s: SsspState): SsspStats {
  const graph = s.graph;
  return {
    ...s.stats,
    graphVersion: graph.version,
    nodes: graph.nodeCount,
    edges: graph.edgeCount,
    gpu: s.gpuStatus,
    cpu: s.workerStatus === 'off' ? 'this thread' : s.workerStatus,
    subscribers: s.subscribers.size,
    directedEdges: graph.directedEdgeCount,
    undirectedCopy: s.undirected !== undefined,
  };
}

async function preStart(s: SsspState): Promise<void> {
  const { ctx, options } = s;
  s.subscribers.rewatch(ctx, gone);
  subscribeTopology(s);
  // The worker starts in the background (a few hundred ms); queries before it is up run here.
  if (options.cpuWorker !== 'off') {
    const incarnation = ctx.incarnation;
    s.workerOpening = (options.openWorker ?? WorkerSsspEngine.open)();
    // Never refused by a full mailbox: an engine that opened must reach the actor to be used or disposed of.
    ctx.pipeToSelf(
      s.workerOpening,
      (engine): SsspMsg => ({ type: 'sssp-worker-opened', incarnation, engine }),
      (err): SsspMsg => ({ type: 'sssp-worker-failed', incarnation, error: err instanceof Error ? err.message : String(err) }),
    );
  }
  if (options.gpu === 'off') return;
  try {
    const gpu = await (options.openGpu ?? GpuSsspEngine.open)();
    if (gpu.unavailable !== undefined) s.gpuStatus = gpu.unavailable;
    else {
      s.gpu = gpu;
      s.gpuStatus = gpu instanceof GpuSsspEngine ? (gpu.deviceName ?? 'gpu') : 'gpu';
    }
  } catch (err) {
    s.gpuStatus = `GPU engine failed to open: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** A worker opened for an earlier incarnation is that one's to dispose of (postStop). */
function workerOpened(s: SsspState, msg: MsgOf<'sssp-worker-opened' | 'sssp-worker-failed'>): void {
  if (msg.incarnation !== s.ctx.incarnation) return;
  s.workerOpening = undefined;
  if (msg.type === 'sssp-worker-failed') {
    s.workerStatus = `worker failed to start: ${msg.error}`;
    return;
  }
  s.worker = msg.engine;
  s.workerStatus = 'worker thread';
}

function postStop(s: SsspState): void {
  s.gpu?.dispose();
  s.worker?.dispose();
  // Still opening, or opened with its message not handled yet: disposed once it is up.
  s.workerOpening?.then(
    (engine) => engine.dispose(),
    () => undefined,
  );
  s.options.topology?.tell({ type: 'unsubscribe-topology', subscriber: s.ctx.self as Ref<TopologyChange> });
}

function subscribeTopology(s: SsspState): void {
  s.options.topology?.tell({ type: 'subscribe-topology', subscriber: s.ctx.self as Ref<TopologyChange> });
}

// Our copy no longer matches the graph: start over from a fresh snapshot.
function resync(s: SsspState): void {
  s.stats.resyncs++;
  s.graph = new DynamicCsr();
  s.undirected = undefined;
  if (s.options.topology !== undefined) s.sequence.lost();
  subscribeTopology(s);
}

async function onTopology(s: SsspState, change: TopologyChange): Promise<void> {
  const verdict = s.sequence.accept(change);
  if (verdict === 'skip') return;
  if (verdict === 'gap') return resync(s); // a change went missing: answering on this copy could be wrong
  try {
    // A snapshot loads in slices (a 1M-node graph takes seconds); changes queue meanwhile.
    if (change.type === 'reset') {
      // Rebuilt from the new snapshot if an undirected query asks again.
      s.undirected = undefined;
      await s.graph.resetInSlices(change.version, change.nodes, change.edges, setImmediate);
    } else s.graph.apply(change);
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    resync(s);
    return;
  }
  if (s.undirected === undefined || change.type === 'reset') return;
  try {
    s.undirected.apply(change);
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    // The main copy took the change, so the two differ: the next query that needs it rebuilds it.
    s.undirected = undefined;
  }
}
