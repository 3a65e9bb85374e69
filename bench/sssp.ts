// `npm run bench -- sssp`: milliseconds per full single-source shortest-path run, ours (CSR +
// Dijkstra on the bucket queue where the weights allow, src/sssp; the radix queue is measured too)
// against ngraph.path (A* with a zero heuristic, searching for an
// isolated node so that it settles everything it can reach) and graphology-shortest-path
// (dijkstra.singleSource), on the same graphs with the same weights in the same run, with a BFS
// over our CSR arrays as the floor. Graphs: Barabasi-Albert m=2 and uniform random degree 8 at
// 100k and 1M nodes (undirected, weights uniform in [1, 100)), and rome99 (directed, DIMACS).
// Then the GPU engine where there is one. Peers at 1M run in a child process with a larger heap
// (graphology needs several GB there) and once each: they take seconds to tens of seconds a run.
// VF_SSSP_PEERS=0 leaves the peers out (a GPU session measuring the GPU against our CPU).
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
import { barabasiAlbert, uniformRandom, type ArrayGraph } from '../test/sssp/support/graphs.ts';
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

function cases(quick: boolean): GraphCase[] {
  const sizes = quick ? [10_000] : [100_000, 1_000_000];
  const out: GraphCase[] = [];
  for (const n of sizes) {
    const tag = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
    out.push({ key: `ba:${n}`, label: `ba_m2_${tag}`, direction: 'undirected', make: () => barabasiAlbert(n, 2, 1) });
    out.push({ key: `uniform:${n}`, label: `uniform_d8_${tag}`, direction: 'undirected', make: () => uniformRandom(n, 8, 2) });
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
export async function run(options: { quick: boolean }): Promise<void> {
  const figures: Figure[] = [];
  const gpuLines: string[] = [];
  const gpu = await GpuSsspEngine.open();
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
    const ms = median(ours);
    const edges = c.direction === 'undirected' ? `${g.source.length} edges` : `${g.source.length} arcs`;
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
    if (gpu.unavailable === undefined) {
      gpu.runSync(csr, { source: srcs[0]! }); // uploads the CSR
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        const o = gpu.runSync(csr, { source: srcs[r % srcs.length]! });
        times.push(performance.now() - t);
        if (!o.ok) throw new Error(o.error.message);
      }
      figures.push(figure(SUITE, `${c.label}_gpu_ms_per_run`, median(times), 'ms', { name: 'ours-cpu', value: ms }));
    } else {
      gpuLines.push(JSON.stringify({ suite: SUITE, metric: `${c.label}_gpu_ms_per_run`, value: null, unit: 'ms', peer: null, peer_value: null, ratio: null, note: 'no GPU' }));
    }
  }
  report(`SSSP: ms per full single-source run (lower is better; ratio = peer / ours)${gpu.deviceName === undefined ? '' : ` - GPU: ${gpu.deviceName}`}`, figures);
  if (gpu.unavailable !== undefined) {
    console.log(`\nGPU: no GPU (${gpu.unavailable.split('(')[0]!.trim()})`);
    for (const line of gpuLines) console.log(line);
  }
  gpu.dispose();
}

if (process.env.VF_SSSP_PEER !== undefined) {
  peerJob(process.env.VF_SSSP_PEER);
  process.exit(0);
}
