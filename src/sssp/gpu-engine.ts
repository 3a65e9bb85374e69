// The GPU engine: frontier Bellman-Ford plus a tight-arc BFS for parents (src/gpu/sssp.cu) on a
// device copy of the live CSR. Distances are float64 and agree exactly with the CPU engine (see
// the kernel's header); parents may differ on ties, each one still on a shortest path.
//
// The device copy is refreshed when the graph's version moved since the last upload. Runs are
// synchronous driver calls, so the graph cannot change under a query; the version is still checked
// afterwards. Where there is no GPU (no libcuda, no device, no kernel image), `open` returns an
// engine whose `unavailable` says why and whose `run` answers 'engine-failed': callers use the CPU.
// The device comes through the project's shared loader (src/gpu/cuda-driver.ts, via cuda-port.ts).
import { openSharedCuda, type CudaPort, type DevicePtr, type PortOpening } from './cuda-port.ts';
import type { DynamicCsr } from './csr.ts';
import { failure, prepareQuery, type SsspEngine, type SsspOutcome, type SsspQuery } from './engine.ts';

const KERNELS = ['sssp_init', 'sssp_relax', 'sssp_parents'] as const;
const BLOCK = 256;
const GROUP = 8; // lanes per frontier node, as in sssp.cu
const MAX_GRID = 16_384;

export interface GpuEngineOptions {
  /** How to reach the device with sssp.cu's kernels loaded (default: the shared loader in src/gpu). */
  readonly openPort?: () => PortOpening;
}

interface DeviceBuffer {
  ptr: DevicePtr;
  bytes: number;
}

export class GpuSsspEngine implements SsspEngine {
  readonly kind = 'gpu' as const;
  private readonly buffers = new Map<string, DeviceBuffer>();
  private uploaded: { graph: DynamicCsr; version: number } | undefined;

  private constructor(
    readonly unavailable: string | undefined,
    private readonly port: CudaPort | undefined,
  ) {}

  static open(options: GpuEngineOptions = {}): Promise<GpuSsspEngine> {
    const opening = (options.openPort ?? (() => openSharedCuda('sssp', KERNELS)))();
    return Promise.resolve(opening.ok ? new GpuSsspEngine(undefined, opening.port) : new GpuSsspEngine(opening.reason, undefined));
  }

  get deviceName(): string | undefined {
    return this.port?.deviceName;
  }

  async run(graph: DynamicCsr, query: SsspQuery): Promise<SsspOutcome> {
    await Promise.resolve();
    return this.runSync(graph, query);
  }

  runSync(graph: DynamicCsr, query: SsspQuery): SsspOutcome {
    const port = this.port;
    if (port === undefined) return failure('engine-failed', this.unavailable ?? 'no GPU');
    const prepared = prepareQuery(graph, query);
    if ('code' in prepared) return { ok: false, error: prepared };
    try {
      const start = performance.now();
      this.ensureUploaded(port, graph);
      const n = graph.size;
      const b = (name: string): DevicePtr => this.buffers.get(name)!.ptr;
      const src = prepared.sourceIndex;
      port.launch('sssp_init', gridFor(n, 1), BLOCK, [{ i32: n }, { ptr: b('dist') }, { ptr: b('parent') }, { ptr: b('stamp') }, { i32: src }]);
      const csrArgs = [{ ptr: b('rowStart') }, { ptr: b('rowLen') }, { ptr: b('col') }, { ptr: b('weight') }];
      const bound = prepared.bound;
      // Distances: rounds of relaxation until no node improves.
      this.frontier(port, src, (frontier, len, next, round) =>
        port.launch('sssp_relax', gridFor(len, GROUP), BLOCK, [
          { ptr: frontier },
          { i32: len },
          ...csrArgs,
          { ptr: b('dist') },
          { ptr: b('stamp') },
          { ptr: next },
          { ptr: b('count') },
          { i32: round },
          { f64: bound },
        ]),
      );
      // Parents: BFS over tight arcs.
      this.frontier(port, src, (frontier, len, next) =>
        port.launch('sssp_parents', gridFor(len, GROUP), BLOCK, [
          { ptr: frontier },
          { i32: len },
          ...csrArgs,
          { ptr: b('dist') },
          { ptr: b('parent') },
          { ptr: next },
          { ptr: b('count') },
        ]),
      );
      const distance = new Float64Array(n);
      const parent = new Int32Array(n);
      port.download(distance, b('dist'), 8 * n);
      port.download(parent, b('parent'), 4 * n);
      parent[src] = -1;
      if (graph.version !== prepared.version) {
        return failure('graph-changed', `graph moved from version ${prepared.version} to ${graph.version} during the query`);
      }
      const order = reachedOrder(distance, src);
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
          order,
          sorted: false,
          complete: true,
          maxDistance: bound,
          elapsedMs: performance.now() - start,
        },
      };
    } catch (err) {
      return failure('engine-failed', `GPU run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Runs `step` over frontiers, starting from {source}, until a step produces no next frontier. */
  private frontier(port: CudaPort, source: number, step: (frontier: DevicePtr, len: number, next: DevicePtr, round: number) => void): void {
    let a = this.buffers.get('frontierA')!.ptr;
    let b = this.buffers.get('frontierB')!.ptr;
    const count = this.buffers.get('count')!.ptr;
    const len = new Int32Array([source]);
    port.upload(a, len, 4);
    len[0] = 1;
    for (let round = 0; len[0]! > 0; round++) {
      port.memsetD32(count, 0, 1);
      step(a, len[0]!, b, round);
      port.download(len, count, 4);
      [a, b] = [b, a];
    }
  }

  private ensureUploaded(port: CudaPort, graph: DynamicCsr): void {
    if (this.uploaded?.graph === graph && this.uploaded.version === graph.version) return;
    const n = Math.max(1, graph.size);
    const arcs = Math.max(1, graph.arcTop);
    this.buffer(port, 'rowStart', 4 * n);
    this.buffer(port, 'rowLen', 4 * n);
    this.buffer(port, 'col', 4 * arcs);
    this.buffer(port, 'weight', 8 * arcs);
    this.buffer(port, 'dist', 8 * n);
    this.buffer(port, 'parent', 4 * n);
    this.buffer(port, 'stamp', 4 * n);
    this.buffer(port, 'frontierA', 4 * n);
    this.buffer(port, 'frontierB', 4 * n);
    this.buffer(port, 'count', 4);
    port.upload(this.buffers.get('rowStart')!.ptr, graph.rowStart, 4 * graph.size);
    port.upload(this.buffers.get('rowLen')!.ptr, graph.rowLen, 4 * graph.size);
    port.upload(this.buffers.get('col')!.ptr, graph.col, 4 * graph.arcTop);
    port.upload(this.buffers.get('weight')!.ptr, graph.weight, 8 * graph.arcTop);
    this.uploaded = { graph, version: graph.version };
  }

  /** A device buffer of at least `bytes`, grown by reallocation (contents not kept). */
  private buffer(port: CudaPort, name: string, bytes: number): void {
    const have = this.buffers.get(name);
    if (have !== undefined && have.bytes >= bytes) return;
    if (have !== undefined) port.free(have.ptr);
    const size = Math.max(bytes, Math.ceil((have?.bytes ?? 0) * 1.5));
    this.buffers.set(name, { ptr: port.alloc(size), bytes: size });
  }

  dispose(): void {
    if (this.port === undefined) return;
    for (const buf of this.buffers.values()) this.port.free(buf.ptr);
    this.buffers.clear();
    this.port.dispose();
  }
}

function gridFor(items: number, lanes: number): number {
  return Math.max(1, Math.min(MAX_GRID, Math.ceil((items * lanes) / BLOCK)));
}

/** The source, then every other reached index in index order. */
function reachedOrder(distance: Float64Array, source: number): Int32Array {
  let count = 0;
  for (let i = 0; i < distance.length; i++) if (distance[i] !== Infinity) count++;
  const order = new Int32Array(count);
  order[0] = source;
  let k = 1;
  for (let i = 0; i < distance.length; i++) if (i !== source && distance[i] !== Infinity) order[k++] = i;
  return order;
}
