// `npm run bench -- physics [--quick]`: the force-directed layout, ours against the peers the design
// names, on the same graphs and the same initial positions in the same run:
//   1. ms per tick: our CPU engine (worker threads, every core) vs ngraph.forcelayout (3D) and
//      d3-force-3d, on Barabasi-Albert graphs (m = 2) of 1k, 10k, 100k nodes and SNAP's
//      ego-Facebook (samples/graphs/facebook_combined.txt). Each contender runs warm-up
//      ticks from the same start, then the median of the measured ticks is reported.
//   2. layout quality at equal wall-clock time: ours and ngraph each run for the same seconds from
//      the same start; normalised stress over sampled pairs (BFS distances from 64 sampled sources
//      to every node, stress = mean of ((s * |xi - xj| - dij) / dij)^2 at the scale s that
//      minimises it), lower is better.
//   3. the CUDA engine's ms per tick at 10k, 100k and 1M nodes where a GPU is present ("no GPU"
//      otherwise). `--gpu-only` runs this part alone (for a GPU session's short device time).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { probeCuda } from '../src/gpu/cuda-driver.ts';
import { CudaPhysicsEngine } from '../src/gpu/physics-engine.ts';
import { stepGlobals } from '../src/physics/buffers.ts';
import { WorkerEngine } from '../src/physics/cpu/worker-engine.ts';
import type { PhysicsEngine } from '../src/physics/engine.ts';
import { barabasiAlbert, parseEdgeList, toTopology, type EdgeListGraph } from '../src/physics/generators.ts';
import { Layout } from '../src/physics/layout.ts';
import { DEFAULT_PARAMS, type PhysicsParams } from '../src/physics/params.ts';
import { mulberry32 } from '../test/helpers/mulberry32.ts';
import type { BenchOptions } from './run.ts';
import { figure, progress, report, type Figure } from './report.ts';
import { FACEBOOK_EDGES } from '../src/import/samples.ts';

const SUITE = 'physics';

interface Case {
  readonly name: string;
  readonly graph: EdgeListGraph;
  /** Warm-up and measured ticks: ours, ngraph, d3. */
  readonly ticks: readonly [ours: TickPlan, ngraph: TickPlan, d3: TickPlan];
}

/** Warm-up ticks, then measured ticks. */
type TickPlan = readonly [warm: number, measured: number];

interface NgraphLayout {
  step(): boolean;
  getNodePosition(id: number): { x: number; y: number; z?: number };
  setNodePosition(id: number, x: number, y: number, z: number): void;
  dispose(): void;
}
interface D3Node {
  id: number;
  x: number;
  y: number;
  z: number;
}
interface D3Sim {
  tick(): void;
  stop(): D3Sim;
  force(name: string, force: unknown): D3Sim;
}
interface Peers {
  createGraph(): { addNode(id: number): void; addLink(a: number, b: number): void };
  createLayout(graph: unknown, options: { dimensions: number }): NgraphLayout;
  d3: {
    forceSimulation(nodes: D3Node[], dims: number): D3Sim;
    forceManyBody(): unknown;
    forceLink(links: { source: number; target: number }[]): { id(f: (d: D3Node) => number): unknown };
    forceCenter(): unknown;
  };
}

async function loadPeers(): Promise<Peers> {
  const require = createRequire(import.meta.url);
  const ngraphGraph = (await import('ngraph.graph')) as unknown as { default: Peers['createGraph'] };
  const createLayout = require('ngraph.forcelayout') as Peers['createLayout'];
  // d3-force-3d ships no type declarations: imported by a computed name, typed by Peers.
  const d3Name = 'd3-force-3d';
  const d3 = (await import(d3Name)) as Peers['d3'];
  return { createGraph: ngraphGraph.default, createLayout, d3 };
}

function initialPositions(n: number, seed: number): Float32Array {
  const layout = new Layout(mulberry32(seed), DEFAULT_PARAMS.knowledge.springLength);
  layout.addNodes(Array.from({ length: n }, (_, id) => ({ id, kind: 'knowledge' as const })));
  return layout.buffers.pos.slice(0, 3 * n);
}

/** Our layout of `g` from `start`, stepped by `engine` with the actor's cooling schedule. */
class Ours {
  readonly layout: Layout;
  private alpha = 1;

  constructor(
    g: EdgeListGraph,
    start: Float32Array,
    private readonly engine: PhysicsEngine,
    private readonly p: PhysicsParams = DEFAULT_PARAMS,
  ) {
    const topo = toTopology(g);
    this.layout = new Layout(mulberry32(1), p.knowledge.springLength);
    this.layout.addNodes(
      topo.nodes.map((node) => ({ ...node, position: { x: start[3 * node.id]!, y: start[3 * node.id + 1]!, z: start[3 * node.id + 2]! } })),
    );
    this.layout.addEdges(topo.edges);
  }

  async tick(): Promise<number> {
    const b = this.layout.prepare(this.p);
    const t0 = performance.now();
    await this.engine.step(b, stepGlobals(this.p, this.layout.n, this.alpha), {
      structure: this.layout.structureVersion,
      positions: this.layout.positionsVersion,
    });
    const ms = performance.now() - t0;
    this.alpha = Math.max(this.p.alphaMin, this.alpha * (1 - this.p.cooling));
    return ms;
  }

  positions(): Float32Array {
    return this.layout.buffers.pos.slice(0, 3 * this.layout.n);
  }
}

function ngraphOf(peers: Peers, g: EdgeListGraph, start: Float32Array): NgraphLayout {
  const graph = peers.createGraph();
  for (let i = 0; i < g.n; i++) graph.addNode(i);
  for (let e = 0; e < g.edges.length / 2; e++) graph.addLink(g.edges[2 * e]!, g.edges[2 * e + 1]!);
  const layout = peers.createLayout(graph, { dimensions: 3 });
  for (let i = 0; i < g.n; i++) layout.setNodePosition(i, start[3 * i]!, start[3 * i + 1]!, start[3 * i + 2]!);
  return layout;
}

function ngraphPositions(layout: NgraphLayout, n: number): Float32Array {
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const p = layout.getNodePosition(i);
    out[3 * i] = p.x;
    out[3 * i + 1] = p.y;
    out[3 * i + 2] = p.z ?? 0;
  }
  return out;
}

function d3Of(peers: Peers, g: EdgeListGraph, start: Float32Array): D3Sim {
  const nodes: D3Node[] = Array.from({ length: g.n }, (_, id) => ({ id, x: start[3 * id]!, y: start[3 * id + 1]!, z: start[3 * id + 2]! }));
  const links = Array.from({ length: g.edges.length / 2 }, (_, e) => ({ source: g.edges[2 * e]!, target: g.edges[2 * e + 1]! }));
  const { d3 } = peers;
  return d3
    .forceSimulation(nodes, 3)
    .force('charge', d3.forceManyBody())
    .force(
      'link',
      d3.forceLink(links).id((d) => d.id),
    )
    .force('center', d3.forceCenter())
    .stop();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeTicks(warm: number, measured: number, tick: () => Promise<number> | number): Promise<number> {
  for (let i = 0; i < warm; i++) await tick();
  const times: number[] = [];
  for (let i = 0; i < measured; i++) times.push(await tick());
  return median(times);
}

const timed = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

/** Normalised stress over BFS distances from `sources` sampled nodes to every reachable node. */
export function normalisedStress(g: EdgeListGraph, pos: Float32Array, sources: number, seed: number): number {
  const n = g.n;
  const adjStart = new Int32Array(n + 1);
  for (let e = 0; e < g.edges.length; e++) adjStart[g.edges[e]! + 1]!++;
  for (let i = 0; i < n; i++) adjStart[i + 1]! += adjStart[i]!;
  const adj = new Int32Array(g.edges.length);
  const cursor = adjStart.slice(0, n);
  for (let e = 0; e < g.edges.length / 2; e++) {
    const a = g.edges[2 * e]!;
    const b = g.edges[2 * e + 1]!;
    adj[cursor[a]!++] = b;
    adj[cursor[b]!++] = a;
  }
  const random = mulberry32(seed);
  const dist = new Int32Array(n);
  const queue = new Int32Array(n);
  // Sums for the optimal scale s = sum(w dl dg) / sum(w dl^2), w = 1 / dg^2.
  const pairs: [number, number][] = [];
  for (let k = 0; k < sources; k++) {
    const src = Math.floor(random() * n);
    dist.fill(-1);
    dist[src] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = src;
    while (head < tail) {
      const u = queue[head++]!;
      for (let e = adjStart[u]!; e < adjStart[u + 1]!; e++) {
        const v = adj[e]!;
        if (dist[v] === -1) {
          dist[v] = dist[u]! + 1;
          queue[tail++] = v;
        }
      }
    }
    for (let v = 0; v < n; v++) {
      if (v === src || dist[v]! <= 0) continue;
      const dl = Math.hypot(pos[3 * v]! - pos[3 * src]!, pos[3 * v + 1]! - pos[3 * src + 1]!, pos[3 * v + 2]! - pos[3 * src + 2]!);
      pairs.push([dl, dist[v]!]);
    }
  }
  let num = 0;
  let den = 0;
  for (const [dl, dg] of pairs) {
    num += dl / dg;
    den += (dl * dl) / (dg * dg);
  }
  const s = den > 0 ? num / den : 1;
  let stress = 0;
  for (const [dl, dg] of pairs) stress += ((s * dl - dg) / dg) ** 2;
  return stress / pairs.length;
}

export async function run(options: BenchOptions): Promise<void> {
  const quick = options.quick;
  if (process.argv.includes('--gpu-only')) return gpuSection(quick);
  const figures: Figure[] = [];
  const load = loadavg()[0]!;
  progress(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  );
  figures.push(figure(SUITE, 'load average (1 min) at start', load, 'load'));
  const peers = await loadPeers();
  const engine = await WorkerEngine.create();
  progress(engine.description);

  const cases: Case[] = [
    {
      name: 'ba-1k',
      graph: barabasiAlbert(1_000, 2, mulberry32(1)),
      ticks: [
        [50, 50],
        [20, 20],
        [10, 10],
      ],
    },
    {
      name: 'facebook-4k',
      graph: parseEdgeList(readFileSync(FACEBOOK_EDGES, 'utf8')),
      ticks: [
        [50, 30],
        [10, 10],
        [5, 5],
      ],
    },
    {
      name: 'ba-10k',
      graph: barabasiAlbert(10_000, 2, mulberry32(2)),
      ticks: [
        [50, 30],
        [5, 10],
        [3, 5],
      ],
    },
  ];
  if (!quick)
    cases.push({
      name: 'ba-100k',
      graph: barabasiAlbert(100_000, 2, mulberry32(3)),
      ticks: [
        [20, 10],
        [1, 3],
        [1, 2],
      ],
    });

  for (const c of cases) {
    const start = initialPositions(c.graph.n, 7);
    const [[ow, om], [nw, nm], [dw, dm]] = c.ticks;
    progress(`${c.name}: ${c.graph.n} nodes, ${c.graph.edges.length / 2} edges`);
    const ours = new Ours(c.graph, start, engine);
    const oursMs = await timeTicks(ow, om, () => ours.tick());
    progress(`  ours ${oursMs.toFixed(2)} ms/tick`);
    const ng = ngraphOf(peers, c.graph, start);
    const ngMs = await timeTicks(quick ? Math.min(nw, 3) : nw, nm, () => timed(() => ng.step()));
    ng.dispose();
    progress(`  ngraph.forcelayout ${ngMs.toFixed(2)} ms/tick`);
    const sim = d3Of(peers, c.graph, start);
    const d3Ms = await timeTicks(quick ? Math.min(dw, 2) : dw, dm, () => timed(() => sim.tick()));
    progress(`  d3-force-3d ${d3Ms.toFixed(2)} ms/tick`);
    figures.push(
      figure(SUITE, `tick ${c.name} (cpu, ${engine.threads} threads)`, oursMs, 'ms', { name: 'ngraph.forcelayout', value: ngMs }),
    );
    figures.push(figure(SUITE, `tick ${c.name} (cpu, ${engine.threads} threads)`, oursMs, 'ms', { name: 'd3-force-3d', value: d3Ms }));
  }

  // How much of this thread a tick takes: the forces run in the workers, so the event loop should
  // sit idle for most of a tick (what is left is preparing the buffers and integrating).
  const big = cases[cases.length - 1]!;
  const busy = new Ours(big.graph, initialPositions(big.graph.n, 13), engine);
  await busy.tick();
  const elu0 = performance.eventLoopUtilization();
  for (let k = 0; k < (quick ? 3 : 5); k++) await busy.tick();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  progress(`  event loop busy ${(elu * 100).toFixed(1)}% of ${big.name} ticks`);
  figures.push(figure(SUITE, `event-loop utilisation during ${big.name} ticks (cpu workers)`, elu * 100, '%'));

  // Quality at equal wall-clock time.
  const qualityCases = [cases.find((c) => c.name === 'facebook-4k')!, cases.find((c) => c.name === 'ba-10k')!];
  const seconds = quick ? 1 : 4;
  for (const c of qualityCases) {
    const start = initialPositions(c.graph.n, 11);
    const ours = new Ours(c.graph, start, engine);
    let t0 = performance.now();
    let oursTicks = 0;
    while (performance.now() - t0 < seconds * 1000) {
      await ours.tick();
      oursTicks++;
    }
    const ng = ngraphOf(peers, c.graph, start);
    t0 = performance.now();
    let ngTicks = 0;
    while (performance.now() - t0 < seconds * 1000) {
      ng.step();
      ngTicks++;
    }
    const oursStress = normalisedStress(c.graph, ours.positions(), 64, 5);
    const ngStress = normalisedStress(c.graph, ngraphPositions(ng, c.graph.n), 64, 5);
    ng.dispose();
    progress(
      `  quality ${c.name} @${seconds}s: ours ${oursTicks} ticks stress ${oursStress.toFixed(4)}, ngraph ${ngTicks} ticks stress ${ngStress.toFixed(4)}`,
    );
    figures.push(
      figure(SUITE, `stress ${c.name} after ${seconds} s (ours ${oursTicks} ticks, ngraph ${ngTicks})`, oursStress, 'stress', {
        name: 'ngraph.forcelayout',
        value: ngStress,
      }),
    );
  }
  await engine.dispose();

  report('physics: force-directed layout, ms per tick and quality (lower is better; ratio > 1: we win)', figures);
  await gpuSection(quick);
}

/** Targets on an H100/H200 (issue 5): ms per tick. */
const GPU_TARGET_MS: Readonly<Record<number, number>> = { 100_000: 2, 1_000_000: 20 };

async function gpuSection(quick: boolean): Promise<void> {
  const probe = probeCuda();
  if (!probe.available) {
    progress(`GPU: none (${probe.reason})`);
    console.log(
      JSON.stringify({
        suite: SUITE,
        metric: 'tick (cuda)',
        value: null,
        unit: 'ms',
        peer: null,
        peer_value: null,
        ratio: null,
        note: `no GPU: ${probe.reason}`,
      }),
    );
    return;
  }
  const gpu = CudaPhysicsEngine.create();
  progress(gpu.description);
  const figures: Figure[] = [];
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  for (const n of sizes) {
    const g = barabasiAlbert(n, 2, mulberry32(n));
    const start = initialPositions(n, 7);
    const ours = new Ours(g, start, gpu);
    // The longest gap between event-loop turns while the ticks run: the step only polls.
    let maxGap = 0;
    let last = performance.now();
    let ticking = true;
    const turn = (): void => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (ticking) setImmediate(turn);
    };
    await ours.tick();
    setImmediate(turn);
    const ms = await timeTicks(10, 20, () => ours.tick());
    ticking = false;
    const tag = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
    progress(`  cuda ${n} nodes: ${ms.toFixed(2)} ms/tick, longest event-loop block ${maxGap.toFixed(2)} ms`);
    const metric = `tick ba-${tag} (cuda, ${probe.devices[0]!.name})`;
    const target = GPU_TARGET_MS[n];
    figures.push(
      target === undefined ? figure(SUITE, metric, ms, 'ms') : figure(SUITE, metric, ms, 'ms', { name: 'target', value: target }),
    );
    figures.push(figure(SUITE, `event-loop block during ba-${tag} ticks (cuda)`, maxGap, 'ms'));
  }
  await gpu.dispose();
  report(`physics: CUDA engine, ms per tick (${gpu.description})`, figures);
}
