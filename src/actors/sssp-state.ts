// What one incarnation of the SSSP actor holds: its copies of the graph, its engines and what it
// counts. The frame subscribers are not here: they outlive restarts (see ssspActor).
import { ChangeSequence } from '../graph/change-sequence.ts';
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { CpuSsspEngine } from '../sssp/cpu-engine.ts';
import { DynamicCsr } from '../sssp/csr.ts';
import type { SsspEngine } from '../sssp/engine.ts';
import type { DistanceEncodingName } from '../sssp/frame/header.ts';
import type { Subscriptions } from './subscriptions.ts';
import type { SsspActorOptions, SsspMsg, SsspStreamMsg } from './sssp.ts';

export interface SsspSubscriber {
  readonly ref: Ref<SsspStreamMsg>;
  readonly encoding: DistanceEncodingName;
}

export interface SsspCounters {
  queries: number;
  errors: number;
  cpuRuns: number;
  gpuRuns: number;
  gpuFallbacks: number;
  resyncs: number;
  framesSent: number;
  lastRunMs: number;
  undirectedBuilds: number;
}

export interface SsspState {
  readonly ctx: ActorContext<SsspMsg>;
  readonly options: SsspActorOptions;
  readonly subscribers: Subscriptions<SsspSubscriber>;
  graph: DynamicCsr;
  /** The same graph with every edge both ways, while undirected queries use it. */
  undirected: DynamicCsr | undefined;
  undirectedUsedAt: number;
  idleTimerArmed: boolean;
  readonly undirectedIdleMs: number;
  readonly sequence: ChangeSequence;
  readonly cpu: CpuSsspEngine;
  gpu: SsspEngine | undefined;
  gpuStatus: string;
  gpuFailures: number;
  worker: SsspEngine | undefined;
  /** The worker engine being opened (it starts in the background), until its message arrives. */
  workerOpening: Promise<SsspEngine> | undefined;
  /** 'opening' until the worker's message arrives; then where CPU queries run, or why not there. */
  workerStatus: string;
  /** The seq of the next SSSP frame. */
  frameSeq: number;
  readonly stats: SsspCounters;
}

const UNDIRECTED_IDLE_MS = 10 * 60_000;

export function newSsspState(ctx: ActorContext<SsspMsg>, options: SsspActorOptions, subscribers: Subscriptions<SsspSubscriber>): SsspState {
  return {
    ctx,
    options,
    subscribers,
    graph: new DynamicCsr(),
    undirected: undefined,
    undirectedUsedAt: 0,
    idleTimerArmed: false,
    undirectedIdleMs: options.undirectedIdleMs ?? UNDIRECTED_IDLE_MS,
    sequence: new ChangeSequence(),
    cpu: new CpuSsspEngine(options.cpu),
    gpu: undefined,
    gpuStatus: options.gpu === 'off' ? 'off' : 'opening',
    gpuFailures: 0,
    worker: undefined,
    workerOpening: undefined,
    workerStatus: options.cpuWorker === 'off' ? 'off' : 'opening',
    frameSeq: 0,
    stats: { queries: 0, errors: 0, cpuRuns: 0, gpuRuns: 0, gpuFallbacks: 0, resyncs: 0, framesSent: 0, lastRunMs: 0, undirectedBuilds: 0 },
  };
}
