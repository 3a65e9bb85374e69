// The CPU engine on worker threads: one per core by default (this machine: 2), sharing the step
// arrays through SharedArrayBuffers. The calling thread only posts 'step' and collects 'done', so
// its event loop stays free however long a step takes. A worker that dies or throws fails the
// step (and every later one): the physics actor's supervisor decides what happens next.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GLOBAL_FIELDS, writeGlobals, type SimBuffers, type StepGlobals, type StepStats } from '../buffers.ts';
import type { PhysicsEngine } from '../engine.ts';
import { allocStepShared, CTL_CHUNK, CTL_LOCAL_CHUNK, mergeStats, type StepShared } from './step.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

const BOOT = new URL('../../runtime/worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;

interface PendingStep {
  readonly seq: number;
  readonly t0: number;
  waiting: number;
  resolve(stats: StepStats): void;
  reject(error: Error): void;
}

export class WorkerEngine implements PhysicsEngine {
  readonly kind = 'cpu-workers';
  readonly description: string;
  private readonly workers: Worker[] = [];
  private readonly globals = new Float64Array(new SharedArrayBuffer(8 * GLOBAL_FIELDS.length));
  private shared: StepShared | undefined;
  private pending: PendingStep | undefined;
  private broken: Error | undefined;
  private seq = 0;

  /** Starts `threads` workers and waits until each is up; if one cannot start, the others are ended. */
  static async create(threads = availableParallelism()): Promise<WorkerEngine> {
    const engine = new WorkerEngine(Math.max(1, Math.floor(threads)));
    try {
      await engine.ready();
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }

  private constructor(readonly threads: number) {
    this.description = `CPU, ${threads} worker thread${threads === 1 ? '' : 's'}`;
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(BOOT, { workerData: { entry: ENTRY }, name: `physics-${i}` });
      worker.unref();
      worker.on('message', (m: WorkerReply | 'ready') => this.onMessage(m));
      worker.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (this.broken === undefined) this.fail(new Error(`physics worker ${i} exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /** Resolves once every worker has loaded its module (a dummy bind/step round trip). */
  private async ready(): Promise<void> {
    const { allocSimBuffers } = await import('../buffers.ts');
    const sim = allocSimBuffers(1, 1, -1);
    await this.step(sim, {
      n: 0,
      repulsion: 0,
      theta: 1,
      softening: 1,
      timeStep: 1,
      damping: 0,
      maxForce: 1,
      maxVelocity: 1,
      alpha: 0,
      boundRadius: 0,
      boundStiffness: 0,
    });
  }

  step(buffers: SimBuffers, globals: StepGlobals): Promise<StepStats> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (this.pending !== undefined) return Promise.reject(new Error('a physics step is already running'));
    const W = this.workers.length;
    if (this.shared?.sim !== buffers) {
      this.shared = allocStepShared(buffers, W, this.globals);
      this.workers.forEach((w, index) => w.postMessage({ type: 'bind', shared: this.shared!, index, count: W } satisfies WorkerRequest));
    }
    writeGlobals(this.globals, globals);
    Atomics.store(this.shared.ctl, CTL_CHUNK, 0);
    Atomics.store(this.shared.ctl, CTL_LOCAL_CHUNK, 0);
    const seq = ++this.seq;
    return new Promise<StepStats>((resolve, reject) => {
      this.pending = { seq, t0: performance.now(), waiting: W, resolve, reject };
      for (const w of this.workers) {
        w.ref();
        w.postMessage({ type: 'step', seq } satisfies WorkerRequest);
      }
    });
  }

  private onMessage(m: WorkerReply | 'ready'): void {
    const p = this.pending;
    if (m === 'ready' || p === undefined || m.seq !== p.seq) return;
    if (m.type === 'error') {
      this.fail(new Error(`physics worker failed: ${m.message}`));
      return;
    }
    if (--p.waiting > 0) return;
    this.pending = undefined;
    for (const w of this.workers) w.unref();
    p.resolve({ ...mergeStats(this.shared!.stats, this.workers.length), ms: performance.now() - p.t0 });
  }

  private fail(error: Error): void {
    this.broken ??= error;
    const p = this.pending;
    this.pending = undefined;
    for (const w of this.workers) w.unref();
    p?.reject(error);
  }

  async dispose(): Promise<void> {
    this.broken ??= new Error('engine disposed');
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.broken);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
