// `npm run bench -- sssp`: milliseconds per full single-source shortest-path run, ours (CSR +
// Dijkstra on the bucket queue where the weights allow, src/sssp; the radix queue is measured too)
// against ngraph.path (A* with a zero heuristic, searching for an
// isolated node so that it settles everything it can reach) and graphology-shortest-path
// (dijkstra.singleSource), on the same graphs with the same weights in the same run, with a BFS
// over our CSR arrays as the floor. Graphs: Barabasi-Albert m=2 (scale-free), uniform random
// degree 8 and a road-like grid (each node joined to its right and lower neighbours) at 100k and
// 1M nodes (undirected, weights uniform in [1, 100)), and rome99 (directed, DIMACS).
// Then the GPU engine where there is one: ms per run, its distances checked against the CPU's,
// and the longest the event loop went without a turn during GPU runs. Peers at 1M run in a child
// process with a larger heap (graphology needs several GB there) and once each: they take seconds
// to tens of seconds a run. VF_SSSP_PEERS=0 leaves the peers out; `--gpu-only` measures only the
// GPU (against one CPU run per graph, for the ratio and the check), for a device session.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import GraphologyModule from 'graphology';
import { dijkstra } from 'graphology-shortest-path';
import createGraph from 'ngraph.graph';
import { aStar } from 'ngraph.path';
import { CpuSsspEngine } from '../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../src/sssp/csr.ts';
import { parseDimacs } from '../src/sssp/dimacs.ts';
import { GpuSsspEngine } from '../src/sssp/gpu-engine.ts';
import { barabasiAlbert, roadGrid, uniformRandom, type ArrayGraph } from '../test/sssp/support/graphs.ts';
import { figure, progress, report, type Figure } from './report.ts';
import { ROME99_GR } from '../src/import/samples.ts';

const SUITE = 'sssp';

// graphology is CommonJS: under NodeNext its default import types as the module, at run time it is the class.
type GraphologyGraph = { addNode(key: string): unknown; addEdge(a: string, b: string, attributes: { weight: number }): unknown };
const Graph = GraphologyModule as unknown as new (options: { type: 'directed' | 'undirected'; multi: boolean }) => GraphologyGraph;

interface GraphCase {
  readonly key: string;
  readonly label: string;
  /** Every edge one way (a road network's arcs), or every edge both ways. */
  readonly direction: 'directed' | 'undirected';
  make(): ArrayGraph;
}

/** Grid sides for about n nodes: 100 x 100, 316 x 317, 1000 x 1000. */
function gridSides(n: number): [number, number] {
  const w = Math.round(Math.sqrt(n));
  return [w, Math.round(n / w)];
}

function cases(quick: boolean): GraphCase[] {
  const sizes = quick ? [10_000] : [100_000, 1_000_000];
  const out: GraphCase[] = [];
  for (const n of sizes) {
    const tag = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
    const [w, h] = gridSides(n);
    out.push({ key: `ba:${n}`, label: `ba_m2_${tag}`, direction: 'undirected', make: () => barabasiAlbert(n, 2, 1) });
    out.push({ key: `uniform:${n}`, label: `uniform_d8_${tag}`, direction: 'undirected', make: () => uniformRandom(n, 8, 2) });
    out.push({ key: `road:${n}`, label: `road_grid_${tag}`, direction: 'undirected', make: () => roadGrid(w, h, 3) });
  }
  out.push({ key: 'rome99', label: 'rome99', direction: 'directed', make: rome99 });
  return out;
}

function rome99(): ArrayGraph {
  const g = parseDimacs(readFileSync(ROME99_GR, 'utf8'));
  return { n: g.nodeCount, nodeIds: g.nodeIds, source: g.source, target: g.target, weight: g.weight };
}

function graphFor(key: string): ArrayGraph {
  const [kind, n] = key.split(':');
  if (kind === 'ba') return barabasiAlbert(Number(n), 2, 1);
  if (kind === 'uniform') return uniformRandom(Number(n), 8, 2);
  if (kind === 'road') return roadGrid(...gridSides(Number(n)), 3);
  return rome99();
}

/** Sources spread over the id range; the same ones for every contender. */
function sources(g: ArrayGraph, k: number): number[] {
  return Array.from({ length: k }, (_, i) => g.nodeIds[Math.floor((i * g.n) / k + 1) % g.n]!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

// ---- the floor: BFS over the same arrays ----------------------------------------------------
function bfs(csr: DynamicCsr, source: number): number {
  const n = csr.size;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  const { rowStart, rowLen, col } = csr;
  let head = 0;
  let tail = 0;
  queue[tail++] = source;
  seen[source] = 1;
  while (head < tail) {
    const u = queue[head++]!;
    const end = rowStart[u]! + rowLen[u]!;
    for (let a = rowStart[u]!; a < end; a++) {
      const v = col[a]!;
      if (seen[v] === 0) {
        seen[v] = 1;
        queue[tail++] = v;
      }
    }
  }
  return tail;
}

/**
 * Warm-up (at least 3 runs and half a second, so that small graphs reach the optimising JIT too),
 * then `runs` timed runs over the same sources the peers use; with how many nodes the last reached.
 */
function timedRuns(engine: CpuSsspEngine, csr: DynamicCsr, srcs: number[], runs: number): { times: number[]; reached: number } {
  const start = performance.now();
  for (let r = 0; r < 3 || performance.now() - start < 500; r++) engine.runSync(csr, { source: srcs[r % srcs.length]! });
  const times: number[] = [];
  let reached = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const o = engine.runSync(csr, { source: srcs[r % srcs.length]! });
    times.push(performance.now() - t);
    if (!o.ok) throw new Error(o.error.message);
    reached = o.result.order.length;
  }
  return { times, reached };
}

// ---- peers ----------------------------------------------------------------------------------
interface PeerResult {
  readonly ms: number;
  readonly runs: number;
}

function ngraphRun(g: ArrayGraph, directed: boolean, srcs: number[], runs: number): PeerResult {
  const graph = createGraph<unknown, number>({ multigraph: true });
  for (let i = 0; i < g.n; i++) graph.addNode(g.nodeIds[i]!);
  for (let k = 0; k < g.source.length; k++) graph.addLink(g.source[k]!, g.target[k]!, g.weight[k]!);
  const nowhere = -1;
  graph.addNode(nowhere);
  const finder = aStar(graph, { oriented: directed, distance: (_a, _b, link) => link.data as number });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    finder.find(srcs[r % srcs.length]!, nowhere);
    times.push(performance.now() - t0);
  }
  return { ms: median(times), runs };
}

function graphologyRun(g: ArrayGraph, directed: boolean, srcs: number[], runs: number): PeerResult {
  const graph = new Graph({ type: directed ? 'directed' : 'undirected', multi: true });
  for (let i = 0; i < g.n; i++) graph.addNode(String(g.nodeIds[i]));
  for (let k = 0; k < g.source.length; k++) graph.addEdge(String(g.source[k]), String(g.target[k]), { weight: g.weight[k]! });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    dijkstra.singleSource(graph as never, String(srcs[r % srcs.length]), 'weight');
    times.push(performance.now() - t0);
  }
  return { ms: median(times), runs };
}

/** Child-process entry: VF_SSSP_PEER="peer|graphKey|directed|runs" prints one JSON PeerResult. */
function peerJob(spec: string): void {
  const [peer, key, directed, runs] = spec.split('|');
  const g = graphFor(key!);
  const srcs = sources(g, 5);
  const run = peer === 'ngraph.path' ? ngraphRun : graphologyRun;
  // One unmeasured run first where there are several: the JIT has to warm up for peers too.
  if (Number(runs) > 1) run(g, directed === '1', srcs, 1);
  const result = run(g, directed === '1', srcs, Number(runs));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function peerInChild(peer: string, c: GraphCase, runs: number): PeerResult | undefined {
  try {
    const out = execFileSync(process.execPath, ['--max-old-space-size=16384', '--import=tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, VF_SSSP_PEER: `${peer}|${c.key}|${c.direction === 'directed' ? 1 : 0}|${runs}` },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    const lines = out.toString('utf8').trim().split('\n');
    return JSON.parse(lines[lines.length - 1]!) as PeerResult;
  } catch (err) {
    progress(`${peer} on ${c.label} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return undefined;
  }
}

// ---- the suite ------------------------------------------------------------------------------
/** Targets on an H100/H200 (issues 6 and 25): ms per 1M-node run, and the longest event-loop block. */
const GPU_TARGET_MS: Readonly<Record<string, number>> = { ba_m2_1M: 30, uniform_d8_1M: 30, road_grid_1M: 60 };
const EVENT_LOOP_TARGET_MS = 5;

export async function run(options: { quick: boolean }): Promise<void> {
  const gpuOnly = process.argv.includes('--gpu-only');
  const figures: Figure[] = [];
  const gpuFigures: Figure[] = [];
  const gpuLines: string[] = [];
  const gpu = await GpuSsspEngine.open();
  if (gpu.unavailable !== undefined) progress(`GPU: ${gpu.unavailable}`);
  for (const c of cases(options.quick)) {
    progress(`${c.label}: generating`);
    const g = c.make();
    const csr = new DynamicCsr();
    const t0 = performance.now();
    csr.load(1, g.nodeIds, g.source, g.target, g.weight, { directed: c.direction === 'directed' });
    const loadMs = performance.now() - t0;
    const srcs = sources(g, 5);
    const big = g.n >= 1_000_000;
    const runs = options.quick ? 5 : big ? 5 : 9;
    const edges = c.direction === 'undirected' ? `${g.source.length} edges` : `${g.source.length} arcs`;
    let ms: number;
    if (gpuOnly) {
      // One CPU run: the ratio's other side and the GPU's reference answer.
      const t = performance.now();
      const o = new CpuSsspEngine().runSync(csr, { source: srcs[0]! });
      ms = performance.now() - t;
      if (!o.ok) throw new Error(o.error.message);
      progress(`${c.label}: ${g.n} nodes, ${edges}, CSR load ${loadMs.toFixed(0)} ms, ours (one run) ${ms.toFixed(1)} ms`);
    } else {
      const timed = timedRuns(new CpuSsspEngine(), csr, srcs, runs);
      const ours = timed.times;
      const reached = timed.reached;
      // The general-case queue (zero weights, wide spreads) on the same runs, for comparison.
      const radix = timedRuns(new CpuSsspEngine({ queue: 'radix' }), csr, srcs, runs).times;
      const floor: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        bfs(csr, csr.indexOf(srcs[r % srcs.length]!)!);
        floor.push(performance.now() - t);
      }
      ms = median(ours);
      progress(`${c.label}: ${g.n} nodes, ${edges}, CSR load ${loadMs.toFixed(0)} ms, ours ${ms.toFixed(1)} ms (reached ${reached})`);
      const peerRuns = options.quick ? 3 : big ? 1 : 3;
      const metric = `${c.label}_ms_per_run`;
      figures.push(figure(SUITE, metric, ms, 'ms', { name: 'bfs-floor', value: median(floor) }));
      figures.push(figure(SUITE, metric, ms, 'ms', { name: 'ours-radix-queue', value: median(radix) }));
      // VF_SSSP_PEERS=0 skips the peers (a GPU session measures the GPU against our CPU only).
      for (const peer of process.env.VF_SSSP_PEERS === '0' ? [] : ['ngraph.path', 'graphology-shortest-path']) {
        progress(`${c.label}: ${peer}`);
        const p = peerInChild(peer, c, peerRuns);
        if (p !== undefined) figures.push(figure(SUITE, metric, ms, 'ms', { name: peer, value: p.ms }));
      }
    }
    if (gpu.unavailable === undefined) {
      gpuFigures.push(...(await gpuRuns(gpu, c, csr, srcs, runs, ms)));
    } else {
      gpuLines.push(
        JSON.stringify({
          suite: SUITE,
          metric: `${c.label}_gpu_ms_per_run`,
          value: null,
          unit: 'ms',
          peer: null,
          peer_value: null,
          ratio: null,
          note: 'no GPU',
        }),
      );
    }
  }
  if (figures.length > 0) report('SSSP: ms per full single-source run (lower is better; ratio = peer / ours)', figures);
  if (gpu.unavailable === undefined) {
    report(`SSSP on the GPU (${gpu.deviceName}): ms per full run against our CPU engine, and the longest event-loop block`, gpuFigures);
  } else {
    console.log(`\nGPU: no GPU (${gpu.unavailable.split('(')[0]!.trim()})`);
    for (const line of gpuLines) console.log(line);
  }
  gpu.dispose();
}

/**
 * The GPU engine on one graph: a first run (uploads the graph, checked against the CPU engine's
 * distances), then `runs` timed runs while a setImmediate chain records the longest gap between
 * event-loop turns.
 */
async function gpuRuns(gpu: GpuSsspEngine, c: GraphCase, csr: DynamicCsr, srcs: number[], runs: number, cpuMs: number): Promise<Figure[]> {
  const out: Figure[] = [];
  const t0 = performance.now();
  const first = await gpu.run(csr, { source: srcs[0]! });
  const firstMs = performance.now() - t0;
  if (!first.ok) throw new Error(`GPU run on ${c.label} failed: ${first.error.message}`);
  const reference = new CpuSsspEngine().runSync(csr, { source: srcs[0]! });
  if (!reference.ok) throw new Error(reference.error.message);
  let differ = -1;
  for (let i = 0; i < csr.size && differ < 0; i++) if (reference.result.distance[i] !== first.result.distance[i]) differ = i;
  if (differ >= 0) {
    const note = `GPU distance ${first.result.distance[differ]} differs from the CPU's ${reference.result.distance[differ]} at index ${differ}`;
    progress(`${c.label}: ${note}`);
    console.log(
      JSON.stringify({
        suite: SUITE,
        metric: `${c.label}_gpu_agrees_with_cpu`,
        value: null,
        unit: 'bool',
        peer: null,
        peer_value: null,
        ratio: null,
        note,
      }),
    );
  }
  const times: number[] = [];
  let maxGap = 0;
  let last = performance.now();
  let ticking = true;
  const tick = (): void => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const o = await gpu.run(csr, { source: srcs[r % srcs.length]! });
    times.push(performance.now() - t);
    if (!o.ok) throw new Error(o.error.message);
  }
  ticking = false;
  const ms = median(times);
  const stats = gpu.lastRun;
  progress(
    `${c.label}: GPU ${ms.toFixed(2)} ms per run (first run with upload ${firstMs.toFixed(0)} ms; ${stats?.rounds} rounds, ${stats?.batches} batches, delta ${stats?.delta.toFixed(1)}, parents ${stats?.parents}), longest event-loop block ${maxGap.toFixed(2)} ms${differ >= 0 ? '; DISTANCES DIFFER' : "; distances equal the CPU engine's"}`,
  );
  const metric = `${c.label}_gpu_ms_per_run`;
  out.push(figure(SUITE, metric, ms, 'ms', { name: 'ours-cpu', value: cpuMs }));
  const target = GPU_TARGET_MS[c.label];
  if (target !== undefined) out.push(figure(SUITE, metric, ms, 'ms', { name: 'target', value: target }));
  out.push(figure(SUITE, `${c.label}_gpu_event_loop_block_ms`, maxGap, 'ms', { name: 'target', value: EVENT_LOOP_TARGET_MS }));
  return out;
}

if (process.env.VF_SSSP_PEER !== undefined) {
  peerJob(process.env.VF_SSSP_PEER);
  process.exit(0);
}
