// The CUDA physics engine: src/gpu/physics.cu's kernels behind the PhysicsEngine interface. The
// host arrays stay the source of truth between steps: what the host changed (versions) is uploaded
// before a step, positions and velocities are copied back after it. Launches are queued without
// waiting; completion is polled between event-loop turns (CudaContext.idle), so a step never
// blocks the thread; only the final copies do, for as long as a memcpy of 24 bytes per node takes.
import type { SimBuffers, StepGlobals, StepStats } from '../physics/buffers.ts';
import type { EngineVersions, PhysicsEngine } from '../physics/engine.ts';
import { CudaDriver, defaultLibraryPath, type CudaContext, type DevicePtr, type Handle, type KernelArg } from './cuda-driver.ts';
import { kernelImage } from './kernel-image.ts';

const BLOCK = 256;
const SCAN_CHUNK = 256;
const REDUCE_THREADS = 8192;
const REDUCE_PER = 64;
const RADIX_PASSES = 4;
/**
 * The CPU decides per group of up to 16 nodes against the nearest point of the group's sphere, the
 * GPU per node against the nearest point of a radix-tree node's box; at equal theta the GPU's
 * nodes are larger and looser, so its theta is scaled to give the same accuracy (measured on a
 * 1.5k-node BA layout: CPU at theta 1 and GPU at 0.6 both about 5% rms from exact displacement).
 */
export const GPU_THETA_SCALE = 0.6;

const KERNELS = [
  'vf_bounds_partial',
  'vf_reduce_bounds',
  'vf_morton',
  'vf_radix_hist',
  'vf_radix_scatter',
  'vf_scan_chunks',
  'vf_scan_add',
  'vf_gather',
  'vf_build_tree',
  'vf_aggregate',
  'vf_forces',
  'vf_integrate',
  'vf_reduce_stats',
] as const;
type KernelName = (typeof KERNELS)[number];

export interface CudaEngineOptions {
  readonly libraryPath?: string;
  readonly device?: number;
}

/** Keys per thread of a radix pass: enough threads to fill the GPU, few enough to keep histograms small. */
export function radixChunk(n: number): number {
  return Math.max(64, Math.ceil(n / 4096));
}

const ptr = (p: DevicePtr): KernelArg => ({ ptr: p });
const i32 = (v: number): KernelArg => ({ i32: v });
const blocks = (threads: number): number => Math.ceil(threads / BLOCK);

interface DeviceArrays {
  readonly capacity: number;
  readonly springCapacity: number;
  readonly all: DevicePtr[];
  pos: DevicePtr;
  vel: DevicePtr;
  charge: DevicePtr;
  mass: DevicePtr;
  gravity: DevicePtr;
  pinned: DevicePtr;
  anchor: DevicePtr;
  springStart: DevicePtr;
  springTo: DevicePtr;
  springK: DevicePtr;
  springLo: DevicePtr;
  springHi: DevicePtr;
  force: DevicePtr;
  keys: DevicePtr;
  keys2: DevicePtr;
  vals: DevicePtr;
  vals2: DevicePtr;
  sorted: DevicePtr;
  left: DevicePtr;
  right: DevicePtr;
  parentInternal: DevicePtr;
  parentLeaf: DevicePtr;
  flags: DevicePtr;
  com: DevicePtr;
  bmin: DevicePtr;
  bmax: DevicePtr;
  hist: DevicePtr;
  histScan: DevicePtr;
  scanLevels: DevicePtr[];
  reduceA: DevicePtr;
  reduceB: DevicePtr;
}

export class CudaPhysicsEngine implements PhysicsEngine {
  readonly kind = 'cuda';
  readonly description: string;
  private readonly fns = new Map<KernelName, Handle>();
  private dev: DeviceArrays | undefined;
  private bound: { buffers: SimBuffers; structure: number; positions: number } | undefined;
  private readonly statsHost = new Float32Array(2);
  private disposed = false;

  private constructor(
    private readonly ctx: CudaContext,
    imageFormat: string,
  ) {
    const d = ctx.device;
    this.description = `CUDA on ${d.name} (sm_${d.computeCapability[0]}${d.computeCapability[1]}, ${d.multiprocessors} SMs, ${imageFormat})`;
  }

  /** Loads the driver, the device's context and the kernels; throws CudaUnavailable / CudaError. */
  static create(options: CudaEngineOptions = {}): CudaPhysicsEngine {
    const driver = CudaDriver.load(options.libraryPath ?? defaultLibraryPath());
    driver.init();
    if (driver.deviceCount() === 0) throw new Error('the CUDA driver reports no device');
    const ctx = driver.context(options.device ?? 0);
    try {
      const image = kernelImage('physics', ctx.device.computeCapability);
      const module = ctx.loadModule(image.format === 'ptx' ? new TextDecoder().decode(image.bytes) : image.bytes);
      const engine = new CudaPhysicsEngine(ctx, image.format);
      for (const name of KERNELS) engine.fns.set(name, module.fn(name));
      return engine;
    } catch (error) {
      ctx.release();
      throw error;
    }
  }

  private fn(name: KernelName): Handle {
    return this.fns.get(name)!;
  }

  private launch(name: KernelName, threads: number, args: readonly KernelArg[]): void {
    this.ctx.launch(this.fn(name), blocks(threads), BLOCK, args);
  }

  async step(b: SimBuffers, g: StepGlobals, versions: EngineVersions): Promise<StepStats> {
    if (this.disposed) throw new Error('CUDA engine disposed');
    const t0 = performance.now();
    const n = g.n;
    if (n === 0) return { maxSpeed: 0, sumSpeed2: 0, ms: 0 };
    const d = this.ensureArrays(b);
    this.upload(b, n, versions);
    this.buildTree(d, n);
    const forceParams = new Float32Array([g.repulsion, g.theta * GPU_THETA_SCALE, g.softening, g.boundRadius, g.boundStiffness]);
    this.launch('vf_forces', n, [
      ptr(d.sorted),
      ptr(d.vals),
      i32(n),
      ptr(d.left),
      ptr(d.right),
      ptr(d.com),
      ptr(d.bmin),
      ptr(d.bmax),
      ptr(d.pos),
      ptr(d.gravity),
      ptr(d.mass),
      ptr(d.anchor),
      ptr(d.springStart),
      ptr(d.springTo),
      ptr(d.springK),
      ptr(d.springLo),
      ptr(d.springHi),
      { bytes: forceParams },
      ptr(d.force),
    ]);
    const integrateParams = new Float32Array([g.timeStep, 1 - g.damping, g.maxForce, g.maxVelocity, g.alpha]);
    const T = Math.min(n, REDUCE_THREADS);
    this.launch('vf_integrate', T, [
      ptr(d.pos),
      ptr(d.vel),
      ptr(d.force),
      ptr(d.mass),
      ptr(d.pinned),
      i32(n),
      i32(T),
      { bytes: integrateParams },
      ptr(d.reduceA),
    ]);
    const statsAt = this.reduce('vf_reduce_stats', T, d);
    await this.ctx.idle();
    this.ctx.dtoh(this.statsHost, statsAt, 8);
    this.ctx.dtoh(b.pos.subarray(0, 3 * n), d.pos);
    this.ctx.dtoh(b.vel.subarray(0, 3 * n), d.vel);
    return { maxSpeed: Math.sqrt(this.statsHost[0]!), sumSpeed2: this.statsHost[1]!, ms: performance.now() - t0 };
  }

  /** Bounds, Morton codes, radix sort, gather, then (from two nodes) the Karras tree and its aggregation. */
  private buildTree(d: DeviceArrays, n: number): void {
    const T = Math.min(n, REDUCE_THREADS);
    this.launch('vf_bounds_partial', T, [ptr(d.pos), i32(n), i32(T), ptr(d.reduceA)]);
    const boundsAt = this.reduce('vf_reduce_bounds', T, d);
    this.launch('vf_morton', n, [ptr(d.pos), i32(n), ptr(boundsAt), ptr(d.keys), ptr(d.vals)]);
    const chunk = radixChunk(n);
    const threads = Math.ceil(n / chunk);
    let keys = d.keys;
    let vals = d.vals;
    let keysOut = d.keys2;
    let valsOut = d.vals2;
    for (let pass = 0; pass < RADIX_PASSES; pass++) {
      const shift = 8 * pass;
      this.launch('vf_radix_hist', threads, [ptr(keys), i32(n), i32(chunk), i32(threads), i32(shift), ptr(d.hist)]);
      this.scan(d.hist, d.histScan, 256 * threads, d.scanLevels, 0);
      this.launch('vf_radix_scatter', threads, [
        ptr(keys),
        ptr(vals),
        i32(n),
        i32(chunk),
        i32(threads),
        i32(shift),
        ptr(d.histScan),
        ptr(keysOut),
        ptr(valsOut),
      ]);
      [keys, keysOut] = [keysOut, keys];
      [vals, valsOut] = [valsOut, vals];
    }
    // An even number of passes: the sorted keys and slots are back in d.keys / d.vals.
    this.launch('vf_gather', n, [ptr(d.pos), ptr(d.charge), ptr(d.vals), i32(n), ptr(d.sorted)]);
    // One node: sorted and vals are all vf_forces needs (it skips the traversal below two).
    if (n < 2) return;
    this.launch('vf_build_tree', n - 1, [ptr(d.keys), i32(n), ptr(d.left), ptr(d.right), ptr(d.parentInternal), ptr(d.parentLeaf)]);
    this.ctx.memset32(d.flags, 0, n - 1);
    this.launch('vf_aggregate', n, [
      ptr(d.sorted),
      i32(n),
      ptr(d.left),
      ptr(d.right),
      ptr(d.parentInternal),
      ptr(d.parentLeaf),
      ptr(d.flags),
      ptr(d.com),
      ptr(d.bmin),
      ptr(d.bmax),
    ]);
  }

  /** Reduces `rows` rows in reduceA by rounds of REDUCE_PER; returns where the single row is. */
  private reduce(kernel: 'vf_reduce_bounds' | 'vf_reduce_stats', rows: number, d: DeviceArrays): DevicePtr {
    let from = d.reduceA;
    let to = d.reduceB;
    do {
      const groups = Math.ceil(rows / REDUCE_PER);
      this.launch(kernel, groups, [ptr(from), i32(rows), i32(REDUCE_PER), ptr(to)]);
      rows = groups;
      [from, to] = [to, from];
    } while (rows > 1);
    return from;
  }

  /** Exclusive scan of `len` u32 from `input` into `output` (chunked, recursive over the chunk sums). */
  private scan(input: DevicePtr, output: DevicePtr, len: number, levels: readonly DevicePtr[], level: number): void {
    const chunks = Math.ceil(len / SCAN_CHUNK);
    const sums = levels[level]!;
    this.launch('vf_scan_chunks', chunks, [ptr(input), ptr(output), i32(len), i32(SCAN_CHUNK), ptr(sums)]);
    if (chunks > 1) {
      this.scan(sums, sums, chunks, levels, level + 1);
      this.launch('vf_scan_add', len, [ptr(output), i32(len), i32(SCAN_CHUNK), ptr(sums)]);
    }
  }

  private upload(b: SimBuffers, n: number, v: EngineVersions): void {
    const d = this.dev!;
    const bound = this.bound!;
    if (bound.structure !== v.structure) {
      const springs = b.springStart[n]!;
      this.ctx.htod(d.charge, b.charge, 4 * n);
      this.ctx.htod(d.mass, b.mass, 4 * n);
      this.ctx.htod(d.gravity, b.gravity, 4 * n);
      this.ctx.htod(d.pinned, b.pinned, n);
      this.ctx.htod(d.anchor, b.anchor, 16 * n);
      this.ctx.htod(d.springStart, b.springStart, 4 * (n + 1));
      this.ctx.htod(d.springTo, b.springTo, 4 * springs);
      this.ctx.htod(d.springK, b.springK, 4 * springs);
      this.ctx.htod(d.springLo, b.springLo, 4 * springs);
      this.ctx.htod(d.springHi, b.springHi, 4 * springs);
      bound.structure = v.structure;
    }
    if (bound.positions !== v.positions) {
      this.ctx.htod(d.pos, b.pos, 12 * n);
      this.ctx.htod(d.vel, b.vel, 12 * n);
      bound.positions = v.positions;
    }
  }

  /** Device arrays for the host buffers' capacity; new host arrays re-upload everything. */
  private ensureArrays(b: SimBuffers): DeviceArrays {
    if (this.dev !== undefined && this.bound !== undefined && this.dev.capacity >= b.capacity && this.dev.springCapacity >= b.springCapacity) {
      // Other host arrays (a reallocation, another layout): same device memory, upload everything.
      if (this.bound.buffers !== b) this.bound = { buffers: b, structure: Number.NaN, positions: Number.NaN };
      return this.dev;
    }
    this.freeArrays();
    const cap = b.capacity;
    const scap = b.springCapacity;
    const all: DevicePtr[] = [];
    const a = (bytes: number): DevicePtr => {
      const p = this.ctx.alloc(bytes);
      all.push(p);
      return p;
    };
    const radixThreads = Math.ceil(cap / radixChunk(cap));
    const histLen = 256 * radixThreads;
    const scanLevels: DevicePtr[] = [];
    for (let len = Math.ceil(histLen / SCAN_CHUNK); ; len = Math.ceil(len / SCAN_CHUNK)) {
      scanLevels.push(a(4 * len));
      if (len <= 1) break;
    }
    const reduceRows = Math.min(cap, REDUCE_THREADS);
    this.dev = {
      capacity: cap,
      springCapacity: scap,
      all,
      pos: a(12 * cap),
      vel: a(12 * cap),
      charge: a(4 * cap),
      mass: a(4 * cap),
      gravity: a(4 * cap),
      pinned: a(cap),
      anchor: a(16 * cap),
      springStart: a(4 * (cap + 1)),
      springTo: a(4 * scap),
      springK: a(4 * scap),
      springLo: a(4 * scap),
      springHi: a(4 * scap),
      force: a(12 * cap),
      keys: a(4 * cap),
      keys2: a(4 * cap),
      vals: a(4 * cap),
      vals2: a(4 * cap),
      sorted: a(16 * cap),
      left: a(4 * cap),
      right: a(4 * cap),
      parentInternal: a(4 * cap),
      parentLeaf: a(4 * cap),
      flags: a(4 * cap),
      com: a(16 * cap),
      bmin: a(16 * cap),
      bmax: a(16 * cap),
      hist: a(4 * histLen),
      histScan: a(4 * histLen),
      scanLevels,
      reduceA: a(24 * reduceRows),
      reduceB: a(24 * reduceRows),
    };
    // Versions that match nothing: the first step uploads everything.
    this.bound = { buffers: b, structure: Number.NaN, positions: Number.NaN };
    return this.dev;
  }

  private freeArrays(): void {
    for (const p of this.dev?.all ?? []) this.ctx.free(p);
    this.dev = undefined;
  }

  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      this.dev = undefined;
      this.ctx.release();
    }
    return Promise.resolve();
  }
}
