// The GPU engine: delta-stepping (near-far buckets) for the distances and one pass over the arcs
// for the parents (src/gpu/sssp.cu), on a device copy of the live CSR and a non-blocking stream of
// its own. Distances are float64 and agree exactly with the CPU engine (see the kernel's header);
// parents may differ on ties, each one still on a shortest path.
//
// Nothing here blocks the event loop for long: the CSR goes up in chunks through pinned staging
// memory (yielding between chunks), the rounds run in batches that the device drives itself (the
// host queues a batch of launches and an asynchronous copy of the state, then polls an event
// between event-loop turns; two batches stay queued, so the device never waits for the host), and
// the answer comes back into pinned memory and is copied out in slices. The actor handles one
// message at a time, so the graph holds still meanwhile; the version is checked at the end all the
// same. Where there is no GPU (no libcuda, no device, no kernel image), `open` returns an engine
// whose `unavailable` says why and whose `run` answers 'engine-failed': callers use the CPU. After
// a device fault, or a reset of the device by the physics engine, the next query reopens the
// device (the reset comes first, in src/gpu/cuda-driver.ts) and uploads the graph again.
import { setImmediate as yieldTurn } from 'node:timers/promises';
import {
  CudaDriver,
  defaultLibraryPath,
  type CudaContext,
  type CudaEventMark,
  type CudaModule,
  type CudaStream,
  type DevicePtr,
  type KernelArg,
  type PinnedBuffer,
} from '../gpu/cuda-driver.ts';
import type { DynamicCsr } from './csr.ts';
import { failure, prepareQuery, type PreparedQuery, type SsspEngine, type SsspOutcome, type SsspQuery } from './engine.ts';

const KERNELS = [
  'sssp_init',
  'sssp_start',
  'sssp_round',
  'sssp_parents_tight',
  'sssp_parents_missing',
  'sssp_bfs_start',
  'sssp_bfs_round',
] as const;
type KernelName = (typeof KERNELS)[number];
const BLOCK = 256;
/** Lanes per node in the arc kernels (GROUP in sssp.cu). */
const GROUP = 8;
/** SsspCtrl in sssp.cu: its size and the offsets read back. */
const CTRL_BYTES = 80;
const CTRL_NEAR_LEN = 0;
const CTRL_FAR_LEN = 8;
const CTRL_PHASE = 24;
const CTRL_ROUND = 28;
const CTRL_MISSING = 36;
const PHASE_DONE = 2;
/** Launches in the first batch of rounds; each later batch doubles, up to MAX_BATCH. */
const FIRST_BATCH = 8;
const MAX_BATCH = 256;
/** Blocks per multiprocessor at most for the round kernels (they loop over what is left). */
const BLOCKS_PER_SM = 8;
/** Pinned staging for uploads, two halves of this many bytes. */
const STAGE_BYTES = 4 << 20;
/** Elements copied out of pinned memory between yields. */
const COPY_SLICE = 1 << 18;
/** Longest stretch of host work between yields while uploading. */
const SLICE_MS = 4;
/** Default bucket width, in mean arc weights. */
export const DEFAULT_DELTA_FACTOR = 4;

export interface GpuEngineOptions {
  /** The CUDA driver library (default VF_LIBCUDA or libcuda.so.1). */
  readonly libraryPath?: string;
  readonly device?: number;
  /** Bucket width as a multiple of the mean arc weight (default 4). */
  readonly deltaFactor?: number;
}

/** What one query did on the device, for tests and benchmarks. */
export interface GpuRunStats {
  readonly rounds: number;
  readonly batches: number;
  readonly delta: number;
  /** 'one-pass' or 'bfs' (zero weights, or sums that rounded back). */
  readonly parents: 'one-pass' | 'bfs';
  readonly uploadMs: number;
}

interface DeviceBuffer {
  ptr: DevicePtr;
  bytes: number;
}

/** The opened device: context, kernels, stream, and what lives on it. */
class Device {
  readonly buffers = new Map<string, DeviceBuffer>();
  readonly ctrl: DevicePtr;
  /** Two copies of SsspCtrl, one per batch in flight. */
  readonly status: PinnedBuffer;
  readonly staging: PinnedBuffer;
  result: PinnedBuffer | undefined;
  uploaded: { graph: DynamicCsr; version: number; delta: number; zero: boolean } | undefined;

  constructor(
    readonly ctx: CudaContext,
    readonly module: CudaModule,
    readonly stream: CudaStream,
  ) {
    this.ctrl = ctx.alloc(CTRL_BYTES);
    this.status = ctx.pinned(2 * CTRL_BYTES);
    this.staging = ctx.pinned(2 * STAGE_BYTES);
  }

  fn(name: KernelName): bigint {
    return this.module.fn(name);
  }

  ptr(name: string): DevicePtr {
    return this.buffers.get(name)!.ptr;
  }

  /** A device buffer of at least `bytes`, grown by reallocation (contents not kept). */
  buffer(name: string, bytes: number): void {
    const have = this.buffers.get(name);
    if (have !== undefined && have.bytes >= bytes) return;
    if (have !== undefined) this.ctx.free(have.ptr);
    const size = Math.max(bytes, Math.ceil((have?.bytes ?? 0) * 1.5));
    this.buffers.set(name, { ptr: this.ctx.alloc(size), bytes: size });
  }

  resultBuffer(bytes: number): PinnedBuffer {
    if (this.result === undefined || this.result.bytes < bytes) {
      if (this.result !== undefined) this.ctx.freePinned(this.result);
      this.result = this.ctx.pinned(Math.max(bytes, Math.ceil((this.result?.bytes ?? 0) * 1.5)));
    }
    return this.result;
  }

  /** Still the device's live context, with no fault since it was opened. */
  get healthy(): boolean {
    return this.ctx.usable && this.ctx.fault === undefined;
  }

  release(): void {
    this.ctx.release();
  }
}

type Opening = { readonly ok: true; readonly device: Device; readonly name: string } | { readonly ok: false; readonly reason: string };

function openDevice(options: GpuEngineOptions): Opening {
  let ctx: CudaContext | undefined;
  try {
    const driver = CudaDriver.load(options.libraryPath ?? defaultLibraryPath());
    driver.init();
    if (driver.deviceCount() === 0) return { ok: false, reason: 'no GPU: the CUDA driver reports no device' };
    ctx = driver.context(options.device ?? 0);
    const module = ctx.loadKernels('sssp', KERNELS);
    return { ok: true, device: new Device(ctx, module, ctx.stream()), name: ctx.device.name };
  } catch (err) {
    ctx?.release();
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: /^no GPU/.test(reason) ? reason : `no GPU: ${reason}` };
  }
}

export class GpuSsspEngine implements SsspEngine {
  readonly kind = 'gpu' as const;
  private device: Device | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = false;
  private disposed = false;
  private readonly deltaFactor: number;
  /** What the last successful query did on the device. */
  lastRun: GpuRunStats | undefined;

  private constructor(
    readonly unavailable: string | undefined,
    device: Device | undefined,
    readonly deviceName: string | undefined,
    private readonly options: GpuEngineOptions,
  ) {
    this.device = device;
    this.deltaFactor = options.deltaFactor ?? DEFAULT_DELTA_FACTOR;
  }

  static open(options: GpuEngineOptions = {}): Promise<GpuSsspEngine> {
    const opening = openDevice(options);
    return Promise.resolve(
      opening.ok
        ? new GpuSsspEngine(undefined, opening.device, opening.name, options)
        : new GpuSsspEngine(opening.reason, undefined, undefined, options),
    );
  }

  /** Queries run one after another: the device buffers hold one at a time. */
  run(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
    const next = this.queue.then(() => this.runOne(graph, query));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runOne(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
    if (this.disposed) return failure('engine-failed', 'the GPU engine was disposed');
    if (this.unavailable !== undefined) return failure('engine-failed', this.unavailable);
    const prepared = prepareQuery(graph, query);
    if ('code' in prepared) return { ok: false, error: prepared };
    this.busy = true;
    try {
      const device = this.usableDevice();
      if (typeof device === 'string') return failure('engine-failed', device);
      return await this.runOn(device, graph, query, prepared);
    } catch (err) {
      return failure('engine-failed', `GPU run failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.busy = false;
      if (this.disposed) this.releaseDevice();
    }
  }

  /** The open device, reopened (after the reset a fault calls for) when it is no longer usable. */
  private usableDevice(): Device | string {
    if (this.device?.healthy === true) return this.device;
    this.releaseDevice();
    const opening = openDevice(this.options);
    if (!opening.ok) return opening.reason;
    this.device = opening.device;
    return opening.device;
  }

  private async runOn(d: Device, graph: DynamicCsr, query: SsspQuery, prepared: PreparedQuery): Promise<SsspOutcome> {
    const start = performance.now();
    const uploadMs = await this.ensureUploaded(d, graph);
    const { delta, zero } = d.uploaded!;
    const n = graph.size;
    const src = prepared.sourceIndex;
    const s = d.stream;
    const p = (name: string): KernelArg => ({ ptr: d.ptr(name) });
    const csr = [p('rowStart'), p('rowLen'), p('col'), p('weight')];
    const maxGrid = BLOCKS_PER_SM * d.ctx.device.multiprocessors;
    s.launch(d.fn('sssp_init'), gridFor(n, 1, maxGrid * 4), BLOCK, [
      { i32: n },
      p('dist'),
      p('parent'),
      p('stamp'),
      p('inFar'),
      { i32: src },
    ]);
    s.launch(d.fn('sssp_start'), 1, 32, [{ ptr: d.ctrl }, { i32: src }, { f64: delta }, p('nearA')]);
    const distances = await this.rounds(
      d,
      'sssp_round',
      [{ ptr: d.ctrl }, ...csr, { f64: prepared.bound }, p('dist'), p('stamp'), p('inFar'), p('nearA'), p('nearB'), p('farA'), p('farB')],
      n,
    );
    let parents: GpuRunStats['parents'] = 'one-pass';
    let missing = 1;
    if (!zero) {
      s.launch(d.fn('sssp_parents_tight'), gridFor(n, GROUP, maxGrid * 4), BLOCK, [
        { i32: n },
        ...csr,
        p('dist'),
        p('parent'),
        { i32: src },
      ]);
      s.launch(d.fn('sssp_parents_missing'), gridFor(n, 1, maxGrid * 4), BLOCK, [
        { i32: n },
        p('dist'),
        p('parent'),
        { i32: src },
        { ptr: d.ctrl },
      ]);
      s.downloadPinned(d.status, 0, d.ctrl, CTRL_BYTES);
      await s.idle();
      missing = new DataView(d.status.buffer()).getUint32(CTRL_MISSING, true);
    }
    let bfs = { rounds: 0, batches: 0 };
    if (missing > 0) {
      // Zero weights, or a sum that rounded back to its start: claim parents breadth-first instead.
      parents = 'bfs';
      s.memset32(d.ptr('parent'), 0xffffffff, n);
      s.launch(d.fn('sssp_bfs_start'), 1, 32, [{ ptr: d.ctrl }, { i32: src }, p('parent'), p('nearA')]);
      bfs = await this.rounds(d, 'sssp_bfs_round', [{ ptr: d.ctrl }, ...csr, p('dist'), p('parent'), p('nearA'), p('nearB')], n);
    }
    const host = d.resultBuffer(12 * n);
    s.downloadPinned(host, 0, d.ptr('dist'), 8 * n);
    s.downloadPinned(host, 8 * n, d.ptr('parent'), 4 * n);
    await s.idle();
    const distance = new Float64Array(n);
    const parent = new Int32Array(n);
    const reached = new Int32Array(n);
    let count = 0;
    reached[count++] = src;
    for (let from = 0; from < n; from += COPY_SLICE) {
      // The view is made again after each yield: it throws if a reset took the memory meanwhile.
      const buffer = host.buffer();
      const to = Math.min(n, from + COPY_SLICE);
      distance.set(new Float64Array(buffer, 8 * from, to - from), from);
      parent.set(new Int32Array(buffer, 8 * n + 4 * from, to - from), from);
      for (let i = from; i < to; i++) if (i !== src && distance[i] !== Infinity) reached[count++] = i;
      if (to < n) await yieldTurn();
    }
    parent[src] = -1;
    if (graph.version !== prepared.version) {
      return failure('graph-changed', `graph moved from version ${prepared.version} to ${graph.version} during the query`);
    }
    this.lastRun = { rounds: distances.rounds + bfs.rounds, batches: distances.batches + bfs.batches, delta, parents, uploadMs };
    return {
      ok: true,
      result: {
        engine: 'gpu',
        version: prepared.version,
        source: query.source,
        sourceIndex: src,
        size: n,
        ids: graph.idOf.slice(0, n),
        distance,
        parent,
        order: reached.slice(0, count),
        sorted: false,
        complete: true,
        maxDistance: prepared.bound,
        elapsedMs: performance.now() - start,
      },
    };
  }

  /**
   * Launches `kernel` in batches until SsspCtrl says done. Each batch is a run of launches and a
   * copy of SsspCtrl into its own half of the status buffer; two batches stay queued, and the
   * grid follows the size of the piles the last copy showed (with room for them to grow).
   */
  private async rounds(d: Device, kernel: KernelName, args: readonly KernelArg[], n: number): Promise<{ rounds: number; batches: number }> {
    const s = d.stream;
    const fn = d.fn(kernel);
    const maxGrid = BLOCKS_PER_SM * d.ctx.device.multiprocessors;
    // A safety net for a kernel that never finishes: far more rounds than any graph needs.
    const limit = 4 * n + 10_000;
    // The whole device until the first copy of the state shows how big the piles are: a scale-free
    // graph's frontier grows tenfold a round, and its query is over in a few dozen rounds.
    let grid = maxGrid;
    let batch = FIRST_BATCH;
    let queued = 0;
    let slot = 0;
    let batches = 0;
    const inFlight: { mark: CudaEventMark; slot: number }[] = [];
    const enqueue = (): void => {
      for (let k = 0; k < batch; k++) s.launch(fn, grid, BLOCK, args);
      queued += batch;
      s.downloadPinned(d.status, slot * CTRL_BYTES, d.ctrl, CTRL_BYTES);
      inFlight.push({ mark: s.record(), slot });
      slot ^= 1;
      batch = Math.min(2 * batch, MAX_BATCH);
      batches++;
    };
    enqueue();
    enqueue();
    for (;;) {
      const { mark, slot: at } = inFlight.shift()!;
      await mark.wait();
      const view = new DataView(d.status.buffer(), at * CTRL_BYTES, CTRL_BYTES);
      const rounds = view.getUint32(CTRL_ROUND, true);
      if (view.getUint32(CTRL_PHASE, true) === PHASE_DONE) {
        // The batch still queued finds the state done and returns at once; let it drain.
        for (const f of inFlight) await f.mark.wait();
        return { rounds, batches };
      }
      if (queued > limit) throw new Error(`${kernel} did not finish within ${limit} rounds`);
      const work = Math.max(view.getUint32(CTRL_NEAR_LEN, true) * GROUP, view.getUint32(CTRL_FAR_LEN, true));
      // Room for the piles to grow while the next batch runs.
      grid = gridFor(2 * work, 1, maxGrid);
      enqueue();
    }
  }

  /** Brings the device copy of `graph` up to date; returns the milliseconds it took (0 when current). */
  private async ensureUploaded(d: Device, graph: DynamicCsr): Promise<number> {
    if (d.uploaded?.graph === graph && d.uploaded.version === graph.version) return 0;
    const t0 = performance.now();
    d.uploaded = undefined;
    const n = Math.max(1, graph.size);
    const arcs = Math.max(1, graph.arcTop);
    d.buffer('rowStart', 4 * n);
    d.buffer('rowLen', 4 * n);
    d.buffer('col', 4 * arcs);
    d.buffer('weight', 8 * arcs);
    d.buffer('dist', 8 * n);
    d.buffer('parent', 4 * n);
    d.buffer('stamp', 4 * n);
    d.buffer('inFar', 4 * n);
    for (const list of ['nearA', 'nearB', 'farA', 'farB']) d.buffer(list, 4 * n);
    const version = graph.version;
    const stage = new Stager(d);
    await stage.upload(d.ptr('rowStart'), graph.rowStart, 4 * graph.size);
    await stage.upload(d.ptr('rowLen'), graph.rowLen, 4 * graph.size);
    await stage.upload(d.ptr('col'), graph.col, 4 * graph.arcTop);
    await stage.upload(d.ptr('weight'), graph.weight, 8 * graph.arcTop);
    await stage.finish();
    if (graph.version !== version) throw new Error('the graph changed during its upload');
    const zero = graph.weightScale()?.zero ?? false;
    const mean = meanArcWeight(graph);
    const delta = mean > 0 && Number.isFinite(mean) ? this.deltaFactor * mean : 1;
    d.uploaded = { graph, version, delta, zero };
    return performance.now() - t0;
  }

  private releaseDevice(): void {
    const d = this.device;
    this.device = undefined;
    d?.release();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.busy) this.releaseDevice();
  }
}

/** Copies host arrays to the device through the two halves of the pinned staging buffer. */
class Stager {
  private readonly marks: (CudaEventMark | undefined)[] = [undefined, undefined];
  private half = 0;
  private sliceStart = performance.now();

  constructor(private readonly d: Device) {}

  async upload(dst: DevicePtr, src: ArrayBufferView, bytes: number): Promise<void> {
    const s = this.d.stream;
    for (let offset = 0; offset < bytes; offset += STAGE_BYTES) {
      const len = Math.min(STAGE_BYTES, bytes - offset);
      // This half's last copy must have left before it is written again.
      await this.marks[this.half]?.wait();
      new Uint8Array(this.d.staging.buffer(), this.half * STAGE_BYTES, len).set(new Uint8Array(src.buffer, src.byteOffset + offset, len));
      s.uploadPinned(dst + BigInt(offset), this.d.staging, this.half * STAGE_BYTES, len);
      this.marks[this.half] = s.record();
      this.half ^= 1;
      if (performance.now() - this.sliceStart > SLICE_MS) {
        await yieldTurn();
        this.sliceStart = performance.now();
      }
    }
  }

  async finish(): Promise<void> {
    for (const m of this.marks) await m?.wait();
  }
}

/** Blocks for `items` work items of `lanes` threads each, at least 1 and at most `max`. */
function gridFor(items: number, lanes: number, max: number): number {
  return Math.max(1, Math.min(max, Math.ceil((items * lanes) / BLOCK)));
}

/** The mean weight of up to 64k live arcs from rows spread over the graph (the bucket width's scale). */
function meanArcWeight(graph: DynamicCsr): number {
  const n = graph.size;
  if (n === 0) return 0;
  const step = Math.max(1, Math.floor(n / 16_384));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n && count < 65_536; i += step) {
    const start = graph.rowStart[i]!;
    const end = start + graph.rowLen[i]!;
    for (let a = start; a < end; a++) {
      const w = graph.weight[a]!;
      if (Number.isFinite(w)) {
        sum += w;
        count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}
