// The CPU engine on a worker thread: the query runs beside the event loop, not on it. The CSR's
// query arrays are SharedArrayBuffers (csr.ts), so a query posts only their handles and a few
// numbers, and the answer's arrays come back by transfer. The SSSP actor handles one message at a
// time, so the graph cannot change while the worker reads it; the version is checked again on the
// way back all the same. A worker that throws or dies fails its query as 'engine-failed' and the
// engine stays broken: the actor falls back to the CPU engine on its own thread.
import { Worker } from 'node:worker_threads';
import { resultOf } from './cpu-engine.ts';
import type { DynamicCsr } from './csr.ts';
import { failure, prepareQuery, type SsspEngine, type SsspOutcome, type SsspQuery } from './engine.ts';
import type { WorkerAnswer, WorkerQuery } from './worker.ts';

const BOOT = new URL('../runtime/worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;

interface Pending {
  resolve(answer: WorkerAnswer): void;
}

export class WorkerSsspEngine implements SsspEngine {
  readonly kind = 'cpu' as const;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private broken: string | undefined;
  private readyWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private isReady = false;

  /** Starts the worker and waits until it has loaded its module. */
  static async open(options: { queue?: 'auto' | 'radix'; timeoutMs?: number } = {}): Promise<WorkerSsspEngine> {
    const engine = new WorkerSsspEngine(options.queue ?? 'auto');
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => engine.fail(`sssp worker not ready after ${timeoutMs} ms`), timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        if (engine.isReady) resolve();
        else if (engine.broken !== undefined) reject(new Error(engine.broken));
        else engine.readyWaiters.push({ resolve, reject });
      });
    } catch (error) {
      engine.dispose();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return engine;
  }

  private constructor(private readonly queue: 'auto' | 'radix') {
    this.worker = new Worker(BOOT, { workerData: { entry: ENTRY }, name: 'sssp' });
    // An idle worker does not keep the process alive; one with a query in flight does (run()).
    this.worker.unref();
    this.worker.on('message', (m: WorkerAnswer | 'ready') => {
      if (m === 'ready') {
        this.isReady = true;
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        return;
      }
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      p.resolve(m);
    });
    this.worker.on('error', (e) => this.fail(`sssp worker failed: ${e instanceof Error ? e.message : String(e)}`));
    this.worker.on('exit', (code) => this.fail(`sssp worker exited with code ${code}`));
  }

  get unavailable(): string | undefined {
    return this.broken;
  }

  async run(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
    const prepared = prepareQuery(graph, query);
    if ('code' in prepared) return { ok: false, error: prepared };
    if (this.broken !== undefined) return failure('engine-failed', this.broken);
    const start = performance.now();
    const id = this.nextId++;
    const request: WorkerQuery = {
      id,
      view: {
        size: graph.size,
        rowStart: graph.rowStart,
        rowLen: graph.rowLen,
        col: graph.col,
        weight: graph.weight,
        arcTop: graph.arcTop,
      },
      ids: graph.idOf,
      scale: graph.weightScale(),
      queue: this.queue,
      query: prepared,
    };
    const answer = await new Promise<WorkerAnswer>((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.ref();
      this.worker.postMessage(request);
    });
    if (!answer.ok) {
      this.fail(answer.message);
      return failure('engine-failed', answer.message);
    }
    if (graph.version !== prepared.version) {
      return failure('graph-changed', `graph moved from version ${prepared.version} to ${graph.version} during the query`);
    }
    return { ok: true, result: { ...resultOf(graph, query, prepared, answer, performance.now() - start), wire: answer.wire } };
  }

  dispose(): void {
    this.fail('sssp worker disposed');
    void this.worker.terminate();
  }

  private fail(reason: string): void {
    if (this.broken !== undefined) return;
    this.broken = reason;
    for (const w of this.readyWaiters.splice(0)) w.reject(new Error(reason));
    for (const [id, p] of this.pending) p.resolve({ id, ok: false, message: reason });
    this.pending.clear();
    this.worker.unref();
  }
}
