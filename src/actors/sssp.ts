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
import { setImmediate } from 'node:timers/promises';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { ChangeSequence } from '../graph/change-sequence.ts';
import type { TopologyChange, TopologySubscription } from '../graph/topology.ts';
import { CpuSsspEngine, type CpuEngineOptions } from '../sssp/cpu-engine.ts';
import { DynamicCsr, TopologyError } from '../sssp/csr.ts';
import type { SsspEngine, SsspError, SsspOutcome, SsspQuery, SsspResult } from '../sssp/engine.ts';
import { encodePathFrame, encodeTreeFrame } from '../sssp/frame/encoder.ts';
import type { DistanceEncodingName } from '../sssp/frame/header.ts';
import { GpuSsspEngine } from '../sssp/gpu-engine.ts';
import { WorkerSsspEngine } from '../sssp/worker-engine.ts';
import { pathIndices } from '../sssp/paths.ts';
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
  | { readonly type: 'sssp-undirected-idle' };

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

const ENCODINGS: readonly DistanceEncodingName[] = ['f64', 'f32', 'u16'];
const GPU_FAILURES_BEFORE_DISABLE = 3;
const UNDIRECTED_IDLE_MS = 10 * 60_000;

/** Its name under /app/compute (the application tree, src/supervisors/app-tree.ts). */
export const SSSP_NAME = 'sssp';

export function ssspActor(options: SsspActorOptions = {}): ActorFactory<SsspMsg> {
  // Outlive restarts: a subscriber never hears of one, and must not be cut off by it.
  const subscribers = new Subscriptions<{ readonly ref: Ref<SsspStreamMsg>; readonly encoding: DistanceEncodingName }>(options.maxSubscribers ?? 10_000);
  const gone = (subscriber: Ref<SsspStreamMsg>): SsspMsg => ({ type: 'sssp-unsubscribe', subscriber });
  return (ctx: ActorContext<SsspMsg>) => {
    let graph = new DynamicCsr();
    /** The same graph with every edge both ways, while undirected queries use it. */
    let undirected: DynamicCsr | undefined;
    let undirectedUsedAt = 0;
    let idleTimerArmed = false;
    const undirectedIdleMs = options.undirectedIdleMs ?? UNDIRECTED_IDLE_MS;
    const sequence = new ChangeSequence();
    const cpu = new CpuSsspEngine(options.cpu);
    let gpu: SsspEngine | undefined;
    let gpuStatus = options.gpu === 'off' ? 'off' : 'opening';
    let gpuFailures = 0;
    let worker: SsspEngine | undefined;
    let stopped = false;
    let workerStatus = options.cpuWorker === 'off' ? 'off' : 'opening';
    let seq = 0;
    const stats = { queries: 0, errors: 0, cpuRuns: 0, gpuRuns: 0, gpuFallbacks: 0, resyncs: 0, framesSent: 0, lastRunMs: 0, undirectedBuilds: 0 };

    const subscribeTopology = (): void => options.topology?.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });

    // Our copy no longer matches the graph: start over from a fresh snapshot.
    const resync = (): void => {
      stats.resyncs++;
      graph = new DynamicCsr();
      undirected = undefined;
      if (options.topology !== undefined) sequence.lost();
      subscribeTopology();
    };

    const onTopology = async (change: TopologyChange): Promise<void> => {
      const verdict = sequence.accept(change);
      if (verdict === 'skip') return;
      if (verdict === 'gap') return resync(); // a change went missing: answering on this copy could be wrong
      try {
        // A snapshot loads in slices (a 1M-node graph takes seconds); changes queue meanwhile.
        if (change.type === 'reset') {
          // Rebuilt from the new snapshot if an undirected query asks again.
          undirected = undefined;
          await graph.resetInSlices(change.version, change.nodes, change.edges, setImmediate);
        } else graph.apply(change);
      } catch (err) {
        if (!(err instanceof TopologyError)) throw err;
        resync();
        return;
      }
      if (undirected === undefined || change.type === 'reset') return;
      try {
        undirected.apply(change);
      } catch (err) {
        if (!(err instanceof TopologyError)) throw err;
        // The main copy took the change, so the two differ: the next query that needs it rebuilds it.
        undirected = undefined;
      }
    };

    /** The graph a query reads: the main copy, or the undirected one (built now if it is missing). */
    const viewFor = async (msg: SsspQueryMsg): Promise<DynamicCsr> => {
      if (msg.undirected !== true || graph.version < 0) return graph;
      if (graph.directedEdgeCount === 0) {
        // Without directed edges both readings are the same graph: no copy needed.
        undirected = undefined;
        return graph;
      }
      undirectedUsedAt = ctx.system.clock.now();
      if (undirected === undefined || undirected.version !== graph.version) {
        const copy = new DynamicCsr('undirected');
        // The mailbox waits meanwhile, so the main copy holds still while it is read.
        await copy.copyInSlices(graph, setImmediate);
        undirected = copy;
        stats.undirectedBuilds++;
      }
      if (!idleTimerArmed) {
        idleTimerArmed = true;
        ctx.scheduleOnce(undirectedIdleMs, { type: 'sssp-undirected-idle' });
      }
      return undirected;
    };

    const onUndirectedIdle = (): void => {
      idleTimerArmed = false;
      if (undirected === undefined) return;
      const left = undirectedUsedAt + undirectedIdleMs - ctx.system.clock.now();
      if (left <= 0) {
        undirected = undefined;
        return;
      }
      idleTimerArmed = true;
      ctx.scheduleOnce(left, { type: 'sssp-undirected-idle' });
    };

    /** Every engine reads the same `view` (the GPU's device copy is refreshed when the view or its version changes). */
    const runQuery = async (view: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> => {
      const engine = gpu;
      if (engine !== undefined && view.nodeCount >= (options.gpuMinNodes ?? 50_000)) {
        const outcome = await engine.run(view, query);
        if (outcome.ok || outcome.error.code !== 'engine-failed') {
          stats.gpuRuns++;
          return outcome;
        }
        stats.gpuFallbacks++;
        if (++gpuFailures >= GPU_FAILURES_BEFORE_DISABLE) {
          gpuStatus = `disabled after ${gpuFailures} failures: ${outcome.error.message}`;
          engine.dispose();
          gpu = undefined;
        }
      }
      stats.cpuRuns++;
      const off = worker;
      if (off !== undefined) {
        const outcome = await off.run(view, query);
        if (outcome.ok || outcome.error.code !== 'engine-failed') return outcome;
        // The worker is gone: this query, and every later one, on this thread.
        workerStatus = `failed: ${outcome.error.message.split('\n')[0]}`;
        off.dispose();
        worker = undefined;
      }
      let outcome = await cpu.run(view, query);
      // Only possible if something outside this actor changes the graph; never mix versions.
      if (!outcome.ok && outcome.error.code === 'graph-changed') outcome = await cpu.run(view, query);
      return outcome;
    };

    const broadcast = (view: DynamicCsr, result: SsspResult, targets: readonly number[]): void => {
      if (subscribers.size === 0) return;
      const send = (kind: 'tree' | 'path', encode: (encoding: DistanceEncodingName, seq: number) => Uint8Array | null): void => {
        const frameSeq = seq;
        let sent = false;
        for (const encoding of ENCODINGS) {
          let bytes: Uint8Array | null | undefined;
          for (const s of subscribers.values()) {
            if (s.encoding !== encoding) continue;
            bytes ??= encode(encoding, frameSeq);
            if (bytes === null) return;
            s.ref.tell({ type: 'sssp-frame', kind, version: result.version, source: result.source, bytes });
            stats.framesSent++;
            sent = true;
          }
        }
        if (sent) seq = (seq + 1) >>> 0;
      };
      send('tree', (encoding, s) => encodeTreeFrame(result, { seq: s, encoding }));
      for (const t of targets) {
        const index = view.version === result.version ? view.indexOf(t) : undefined;
        if (index !== undefined) send('path', (encoding, s) => encodePathFrame(result, index, { seq: s, encoding }));
      }
    };

    const onQuery = async (msg: SsspQueryMsg): Promise<void> => {
      stats.queries++;
      const query: SsspQuery = { source: msg.source, targets: msg.targets, maxDistance: msg.maxDistance };
      const view = await viewFor(msg);
      const outcome = await runQuery(view, query);
      if (!outcome.ok) {
        stats.errors++;
        msg.replyTo?.tell({ ok: false, error: outcome.error });
        return;
      }
      const result = outcome.result;
      stats.lastRunMs = result.elapsedMs;
      const targets = Array.isArray(msg.targets) ? msg.targets : [];
      const paths = targets.map((t): SsspPath => {
        const index = view.indexOf(t)!;
        const path = pathIndices(result, index);
        return { target: t, distance: result.distance[index]!, nodes: path === null ? null : Array.from(path, (i) => result.ids[i]!) };
      });
      msg.replyTo?.tell({ ok: true, result, paths });
      broadcast(view, result, targets);
    };

    return {
      async preStart() {
        subscribers.rewatch(ctx, gone);
        subscribeTopology();
        // The worker starts in the background (a few hundred ms); queries before it is up run here.
        if (options.cpuWorker !== 'off') {
          (options.openWorker ?? WorkerSsspEngine.open)().then(
            (engine) => {
              if (stopped) return engine.dispose();
              worker = engine;
              workerStatus = 'worker thread';
            },
            (err: unknown) => {
              workerStatus = `worker failed to start: ${err instanceof Error ? err.message : String(err)}`;
            },
          );
        }
        if (options.gpu === 'off') return;
        try {
          gpu = await (options.openGpu ?? GpuSsspEngine.open)();
          if (gpu.unavailable !== undefined) {
            gpuStatus = gpu.unavailable;
            gpu = undefined;
          } else gpuStatus = gpu instanceof GpuSsspEngine ? (gpu.deviceName ?? 'gpu') : 'gpu';
        } catch (err) {
          gpuStatus = `GPU engine failed to open: ${err instanceof Error ? err.message : String(err)}`;
          gpu = undefined;
        }
      },
      postStop() {
        stopped = true;
        gpu?.dispose();
        worker?.dispose();
        options.topology?.tell({ type: 'unsubscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
      },
      async receive(msg) {
        switch (msg.type) {
          case 'sssp-query':
            await onQuery(msg);
            return;
          case 'sssp-subscribe':
            subscribers.add(
              ctx,
              { ref: msg.subscriber, encoding: ENCODINGS.includes(msg.encoding as DistanceEncodingName) ? msg.encoding! : 'u16' },
              gone(msg.subscriber),
            );
            return;
          case 'sssp-unsubscribe':
            subscribers.delete(msg.subscriber);
            return;
          case 'sssp-stats':
            msg.replyTo.tell({
              ...stats,
              graphVersion: graph.version,
              nodes: graph.nodeCount,
              edges: graph.edgeCount,
              gpu: gpuStatus,
              cpu: workerStatus === 'off' ? 'this thread' : workerStatus,
              subscribers: subscribers.size,
              directedEdges: graph.directedEdgeCount,
              undirectedCopy: undirected !== undefined,
            });
            return;
          case 'sssp-undirected-idle':
            onUndirectedIdle();
            return;
          default:
            await onTopology(msg);
        }
      },
    };
  };
}
