// The CUDA physics engine: src/gpu/physics.cu's kernels behind the PhysicsEngine interface, on a
// non-blocking stream of its own (the shortest-path engine has another). Positions and velocities
// live on the device between steps. What the host changed (versions) goes up before a step: the
// coefficients and springs when the structure changed, and after the host moved, added, removed or
// re-slotted nodes its positions and velocities, merged in on the device so that only the nodes it
// changed take its values (a node a removal moved to another slot keeps its device velocity: it is
// recognised by its position, which is the one last sent back). After a step only positions come
// back (and the stats), queued into
// pinned memory and read once an event says they are there; velocities come back every
// VELOCITY_EVERY steps, so that a CPU engine taking over, or a snapshot, sees recent ones.
// Nothing waits on the thread: completion is polled between event-loop turns.
import type { SimBuffers, StepGlobals, StepStats } from '../physics/buffers.ts';
import type { EngineVersions, PhysicsEngine } from '../physics/engine.ts';
import {
  CudaDriver,
  defaultLibraryPath,
  formatDriverVersion,
  type CudaContext,
  type CudaModule,
  type CudaStream,
  type DevicePtr,
  type KernelArg,
  type PinnedBuffer,
} from './cuda-driver.ts';

const BLOCK = 256;
/** vf_sort_tile's shape (SORT_THREADS, SORT_TILE in physics.cu). */
const SORT_THREADS = 256;
const SORT_TILE = 1024;
const DIGITS = 256;
const KEY_BITS = 30;
const REDUCE_THREADS = 8192;
const REDUCE_PER = 64;
const VELOCITY_EVERY = 32;
/**
 * The CPU decides per group of up to 16 nodes against the nearest point of the group's sphere, the
 * GPU per node against the nearest point of a radix-tree node's box; at equal theta the GPU's
 * nodes are larger and looser, so its theta is scaled to give the same accuracy (measured on a
 * 1.5k-node BA layout: CPU at theta 1 and GPU at 0.6 both about 5% rms from exact displacement).
 */
export const GPU_THETA_SCALE = 0.6;

const KERNELS = [
  'vf_merge_carry',
  'vf_merge_host',
  'vf_bounds_partial',
  'vf_reduce_bounds',
  'vf_morton',
  'vf_sort_tile',
  'vf_scatter_tile',
  'vf_scan_block',
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

/**
 * The sort's buffers for `capacity` nodes: tiles, the digit-count table and the scan's levels.
 * Every count grows with the node count, so buffers sized at the capacity hold every launch at
 * fewer nodes.
 */
export function sortLayout(capacity: number): { readonly tiles: number; readonly hist: number; readonly scanLevels: readonly number[] } {
  const tiles = Math.max(1, Math.ceil(capacity / SORT_TILE));
  const hist = DIGITS * tiles;
  const scanLevels: number[] = [];
  for (let len = Math.ceil(hist / SORT_TILE); ; len = Math.ceil(len / SORT_TILE)) {
    scanLevels.push(len);
    if (len <= 1) break;
  }
  return { tiles, hist, scanLevels };
}

const ptr = (p: DevicePtr): KernelArg => ({ ptr: p });
const i32 = (v: number): KernelArg => ({ i32: v });
const blocks = (threads: number): number => Math.ceil(threads / BLOCK);

interface DeviceArrays {
  readonly capacity: number;
  readonly springCapacity: number;
  readonly tiles: number;
  readonly all: DevicePtr[];
  /** Stats (16 bytes), then positions and velocities for `capacity` nodes. */
  readonly host: PinnedBuffer;
  pos: DevicePtr;
  vel: DevicePtr;
  from: DevicePtr;
  posIn: DevicePtr;
  velIn: DevicePtr;
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

interface Binding {
  buffers: SimBuffers;
  structure: number;
  positions: number;
  /** Slots whose device position is the one the host last received (0: none). */
  fresh: number;
}

const STATS_BYTES = 16;

export class CudaPhysicsEngine implements PhysicsEngine {
  readonly kind = 'cuda';
  readonly description: string;
  private dev: DeviceArrays | undefined;
  private bound: Binding | undefined;
  private from = new Int32Array(0);
  private steps = 0;
  private disposed = false;

  private constructor(
    private readonly ctx: CudaContext,
    private readonly module: CudaModule,
    private readonly stream: CudaStream,
  ) {
    const d = ctx.device;
    this.description = `CUDA on ${d.name} (sm_${d.computeCapability.join('')}, ${d.multiprocessors} SMs, ${module.image}, driver ${formatDriverVersion(ctx.driver.driverVersion())})`;
  }

  /**
   * Loads the driver, the device's context (reset first if a fault left it unusable) and the
   * kernels; throws CudaUnavailable, CudaModuleError (every image tried, and why) or CudaError.
   */
  static create(options: CudaEngineOptions = {}): CudaPhysicsEngine {
    const driver = CudaDriver.load(options.libraryPath ?? defaultLibraryPath());
    driver.init();
    if (driver.deviceCount() === 0) throw new Error('the CUDA driver reports no device');
    const ctx = driver.context(options.device ?? 0);
    try {
      const module = ctx.loadKernels('physics', KERNELS);
      return new CudaPhysicsEngine(ctx, module, ctx.stream());
    } catch (error) {
      ctx.release();
      throw error;
    }
  }

  private launch(name: KernelName, threads: number, args: readonly KernelArg[]): void {
    this.stream.launch(this.module.fn(name), blocks(threads), BLOCK, args);
  }

  async step(b: SimBuffers, g: StepGlobals, versions: EngineVersions): Promise<StepStats> {
    if (this.disposed) throw new Error('CUDA engine disposed');
    this.ctx.assertUsable();
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
    const velocities = ++this.steps % VELOCITY_EVERY === 0;
    this.stream.downloadPinned(d.host, 0, statsAt, 8);
    this.stream.downloadPinned(d.host, STATS_BYTES, d.pos, 12 * n);
    if (velocities) this.stream.downloadPinned(d.host, STATS_BYTES + 12 * d.capacity, d.vel, 12 * n);
    await this.stream.idle();
    if (this.disposed) throw new Error('CUDA engine disposed during a step');
    const host = d.host.buffer();
    const stats = new Float32Array(host, 0, 2);
    b.pos.set(new Float32Array(host, STATS_BYTES, 3 * n));
    if (velocities) b.vel.set(new Float32Array(host, STATS_BYTES + 12 * d.capacity, 3 * n));
    this.bound!.fresh = n;
    return { maxSpeed: Math.sqrt(stats[0]!), sumSpeed2: stats[1]!, ms: performance.now() - t0 };
  }

  /** Bounds, Morton codes, radix sort, gather, then (from two nodes) the Karras tree and its aggregation. */
  private buildTree(d: DeviceArrays, n: number): void {
    const T = Math.min(n, REDUCE_THREADS);
    this.launch('vf_bounds_partial', T, [ptr(d.pos), i32(n), i32(T), ptr(d.reduceA)]);
    const boundsAt = this.reduce('vf_reduce_bounds', T, d);
    this.launch('vf_morton', n, [ptr(d.pos), i32(n), ptr(boundsAt), ptr(d.keys), ptr(d.vals)]);
    const { tiles } = sortLayout(n);
    // The buffers were sized for the capacity; a launch beyond them would write past their end.
    if (tiles > d.tiles) throw new RangeError(`${n} nodes need ${tiles} sort tiles; the buffers hold ${d.tiles}`);
    const sortTile = this.module.fn('vf_sort_tile');
    const scatterTile = this.module.fn('vf_scatter_tile');
    let keys = d.keys;
    let vals = d.vals;
    let keysOut = d.keys2;
    let valsOut = d.vals2;
    for (let shift = 0; shift < KEY_BITS; shift += 8) {
      const bits = Math.min(8, KEY_BITS - shift);
      this.stream.launch(sortTile, tiles, SORT_THREADS, [ptr(keys), ptr(vals), i32(n), i32(shift), i32(bits), i32(tiles), ptr(d.hist)]);
      this.scan(d.hist, d.histScan, DIGITS * tiles, d.scanLevels, 0);
      this.stream.launch(scatterTile, tiles, SORT_THREADS, [
        ptr(keys),
        ptr(vals),
        i32(n),
        i32(shift),
        i32(tiles),
        ptr(d.hist),
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
    this.stream.memset32(d.flags, 0, n - 1);
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

  /** Exclusive scan of `len` u32 from `input` into `output`: a block per tile, recursive over the tile sums. */
  private scan(input: DevicePtr, output: DevicePtr, len: number, levels: readonly DevicePtr[], level: number): void {
    const tiles = Math.ceil(len / SORT_TILE);
    const sums = levels[level]!;
    this.stream.launch(this.module.fn('vf_scan_block'), tiles, SORT_THREADS, [ptr(input), ptr(output), i32(len), ptr(sums)]);
    if (tiles > 1) {
      this.scan(sums, sums, tiles, levels, level + 1);
      this.launch('vf_scan_add', len, [ptr(output), i32(len), ptr(sums)]);
    }
  }

  private upload(b: SimBuffers, n: number, v: EngineVersions): void {
    const d = this.dev!;
    const bound = this.bound!;
    const s = this.stream;
    if (bound.structure !== v.structure) {
      const springs = b.springStart[n]!;
      s.upload(d.charge, b.charge, 4 * n);
      s.upload(d.mass, b.mass, 4 * n);
      s.upload(d.gravity, b.gravity, 4 * n);
      s.upload(d.pinned, b.pinned, n);
      s.upload(d.anchor, b.anchor, 16 * n);
      s.upload(d.springStart, b.springStart, 4 * (n + 1));
      s.upload(d.springTo, b.springTo, 4 * springs);
      s.upload(d.springK, b.springK, 4 * springs);
      s.upload(d.springLo, b.springLo, 4 * springs);
      s.upload(d.springHi, b.springHi, 4 * springs);
      bound.structure = v.structure;
    }
    if (bound.positions !== v.positions) {
      const from = this.slotsFrom(b.pos, n, bound.fresh, d);
      s.upload(d.from, from, 4 * n);
      s.upload(d.posIn, b.pos, 12 * n);
      s.upload(d.velIn, b.vel, 12 * n);
      this.launch('vf_merge_carry', n, [ptr(d.from), ptr(d.vel), ptr(d.velIn), i32(n)]);
      this.launch('vf_merge_host', n, [ptr(d.from), ptr(d.posIn), ptr(d.velIn), ptr(d.pos), ptr(d.vel), i32(n)]);
      bound.positions = v.positions;
    }
  }

  /**
   * Where each slot's node was on the device (vf_merge_carry): i when its host position is still
   * the one last sent back to slot i; the slot whose last position it has when a removal moved it;
   * -1 when the host changed it. The last positions sent back are still in the pinned buffer.
   */
  private slotsFrom(pos: Float32Array, n: number, fresh: number, d: DeviceArrays): Int32Array {
    if (this.from.length < n) this.from = new Int32Array(d.capacity);
    const from = this.from;
    const last = fresh === 0 ? new Float32Array(0) : new Float32Array(d.host.buffer(), STATS_BYTES, 3 * fresh);
    const same = (i: number, j: number): boolean =>
      pos[3 * i] === last[3 * j] && pos[3 * i + 1] === last[3 * j + 1] && pos[3 * i + 2] === last[3 * j + 2];
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const kept = i < fresh && same(i, i);
      from[i] = kept ? i : -1;
      if (!kept) changed++;
    }
    if (changed === 0 || fresh === 0) return from;
    // Slots whose node left them (removed, or moved by a removal): keyed by their last position.
    const vacated = new Map<string, number>();
    for (let j = 0; j < fresh; j++) if (j >= n || from[j] !== j) vacated.set(`${last[3 * j]},${last[3 * j + 1]},${last[3 * j + 2]}`, j);
    for (let i = 0; i < n; i++) {
      if (from[i] !== -1) continue;
      const key = `${pos[3 * i]},${pos[3 * i + 1]},${pos[3 * i + 2]}`;
      const j = vacated.get(key);
      if (j !== undefined && j !== i) {
        from[i] = j;
        vacated.delete(key);
      }
    }
    return from;
  }

  /** Device arrays for the host buffers' capacity; new host arrays re-upload everything. */
  private ensureArrays(b: SimBuffers): DeviceArrays {
    if (
      this.dev !== undefined &&
      this.bound !== undefined &&
      this.dev.capacity >= b.capacity &&
      this.dev.springCapacity >= b.springCapacity
    ) {
      // Other host arrays (a reallocation, another layout): same device memory, upload everything.
      if (this.bound.buffers !== b) this.bound = { buffers: b, structure: Number.NaN, positions: Number.NaN, fresh: 0 };
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
    const sort = sortLayout(cap);
    const reduceRows = Math.min(cap, REDUCE_THREADS);
    this.dev = {
      capacity: cap,
      springCapacity: scap,
      tiles: sort.tiles,
      all,
      host: this.ctx.pinned(STATS_BYTES + 24 * cap),
      pos: a(12 * cap),
      vel: a(12 * cap),
      from: a(4 * cap),
      posIn: a(12 * cap),
      velIn: a(12 * cap),
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
      hist: a(4 * sort.hist),
      histScan: a(4 * sort.hist),
      scanLevels: sort.scanLevels.map((len) => a(4 * len)),
      reduceA: a(24 * reduceRows),
      reduceB: a(24 * reduceRows),
    };
    // Versions that match nothing: the first step uploads everything.
    this.bound = { buffers: b, structure: Number.NaN, positions: Number.NaN, fresh: 0 };
    return this.dev;
  }

  private freeArrays(): void {
    const d = this.dev;
    this.dev = undefined;
    if (d === undefined || !this.ctx.usable) return;
    for (const p of d.all) this.ctx.free(p);
    this.ctx.freePinned(d.host);
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
