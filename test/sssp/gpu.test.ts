// The GPU engine: where there is no GPU it opens cleanly and says why; where there is one, its
// distances equal the CPU engine's exactly (rome99, every source; random scale-free and uniform
// graphs with float weights; bounds; zero-weight arcs; edges of mixed directions and their
// undirected copy) and its parents lie on shortest paths.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import { parseDimacs } from '../../src/sssp/dimacs.ts';
import type { SsspResult } from '../../src/sssp/engine.ts';
import { GpuSsspEngine } from '../../src/sssp/gpu-engine.ts';
import { pathIndices } from '../../src/sssp/paths.ts';
import type { Direction } from './support/build.ts';
import { barabasiAlbert, uniformRandom, type ArrayGraph } from './support/graphs.ts';
import { ROME99_GR } from '../../src/import/samples.ts';

const gpu = await GpuSsspEngine.open();
const reason = gpu.unavailable;
const onGpu = reason === undefined ? test : test.skip;
const skipNote = reason === undefined ? `on ${gpu.deviceName}` : `(skipped: ${reason.split('(')[0]!.trim()})`;
test.after.always(() => gpu.dispose());

test('the GPU engine opens without crashing and reports why it cannot run, or the device it runs on', async (t) => {
  if (reason !== undefined) {
    t.regex(reason, /GPU|kernel|nvcc/i);
    const o = await gpu.run(new DynamicCsr(), { source: 0 });
    t.false(o.ok);
    if (!o.ok) t.is(o.error.code, 'engine-failed');
    t.log(reason);
  } else {
    t.truthy(gpu.deviceName);
    t.log(gpu.deviceName);
  }
});

function csrOf(g: ArrayGraph | { nodeIds: ArrayLike<number>; source: ArrayLike<number>; target: ArrayLike<number>; weight: ArrayLike<number> }, direction: Direction): DynamicCsr {
  const csr = new DynamicCsr();
  csr.load(1, g.nodeIds, g.source, g.target, g.weight, { directed: direction === 'directed' });
  return csr;
}

/** Same distances bit for bit; every GPU parent satisfies d(p) + w(p, v) = d(v) and chains to the source. */
function agree(csr: DynamicCsr, a: SsspResult, b: SsspResult): string | null {
  for (let i = 0; i < csr.size; i++) {
    if (a.distance[i] !== b.distance[i]) return `node ${csr.idOf[i]}: cpu ${a.distance[i]} gpu ${b.distance[i]}`;
    const p = b.parent[i]!;
    if (p < 0) continue;
    let tight = false;
    for (let k = csr.rowStart[p]!; k < csr.rowStart[p]! + csr.rowLen[p]!; k++) if (csr.col[k] === i && b.distance[p]! + csr.weight[k]! === b.distance[i]) tight = true;
    if (!tight) return `node ${csr.idOf[i]}: parent arc is not tight`;
  }
  for (const v of b.order) if (pathIndices(b, v) === null) return `node ${csr.idOf[v]}: broken parent chain`;
  return a.order.length === b.order.length ? null : `reached ${a.order.length} vs ${b.order.length}`;
}

function compare(csr: DynamicCsr, sources: readonly number[], maxDistance?: number): string | null {
  const cpu = new CpuSsspEngine();
  for (const source of sources) {
    const a = cpu.runSync(csr, { source, maxDistance });
    const b = gpu.runSync(csr, { source, maxDistance });
    if (!a.ok || !b.ok) return `source ${source}: ${a.ok ? '' : a.error.message} ${b.ok ? '' : b.error.message}`;
    const err = agree(csr, a.result, b.result);
    if (err !== null) return `source ${source}: ${err}`;
  }
  return null;
}

onGpu(`GPU equals CPU on rome99 from every source ${skipNote}`, (t) => {
  const rome = parseDimacs(readFileSync(ROME99_GR, 'utf8'));
  const csr = csrOf(rome, 'directed');
  t.is(compare(csr, Array.from(rome.nodeIds)), null);
});

onGpu(`GPU equals CPU on Barabasi-Albert and uniform graphs with float weights, with and without a bound ${skipNote}`, (t) => {
  for (const g of [barabasiAlbert(20_000, 2, 11), uniformRandom(20_000, 8, 12), barabasiAlbert(200_000, 2, 13)]) {
    const csr = csrOf(g, 'undirected');
    t.is(compare(csr, [0, 1, 777, g.n - 1]), null);
    t.is(compare(csr, [5], 60), null);
  }
});

onGpu(`GPU parents stay acyclic with zero-weight arcs ${skipNote}`, (t) => {
  const g = uniformRandom(5_000, 6, 21, true);
  for (let k = 0; k < g.weight.length; k += 3) g.weight[k] = 0;
  const csr = csrOf(g, 'undirected');
  t.is(compare(csr, [0, 42, 4_999]), null);
});

onGpu(`GPU follows incremental changes (re-upload on a new version) ${skipNote}`, (t) => {
  const g = barabasiAlbert(10_000, 2, 31);
  const csr = csrOf(g, 'undirected');
  t.is(compare(csr, [0]), null);
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 10_000_000n, source: 0, target: 9_999, weight: 0.5 }] });
  csr.apply({ type: 'edge-weights-changed', version: 3, edges: [{ id: 0n, weight: 1000 }] });
  t.is(compare(csr, [0, 9_999]), null);
});

onGpu(`GPU equals CPU on mixed directions, and on the undirected copy, switching between the two ${skipNote}`, async (t) => {
  const g = uniformRandom(20_000, 6, 41);
  const csr = new DynamicCsr();
  // Every third edge both ways, the rest one way.
  csr.load(1, g.nodeIds, g.source, g.target, g.weight, { directed: Uint8Array.from(g.source, (_, k) => (k % 3 === 0 ? 0 : 1)) });
  const copy = new DynamicCsr('undirected');
  await copy.copyInSlices(csr, async () => undefined);
  for (const graph of [csr, copy, csr]) t.is(compare(graph, [0, 17, 19_999]), null);
  csr.apply({ type: 'edges-removed', version: 2, ids: [1n] });
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 1n, source: g.source[1]!, target: g.target[1]!, weight: g.weight[1]! }] });
  t.is(compare(csr, [0, 17]), null);
});
