// The GPU engine: where there is no GPU it opens cleanly and says why; on a GPU, or else on the
// emulated driver (test/gpu/emulator: the same kernels on the CPU, threads interleaved, memory
// bounds-checked), its distances equal the CPU engine's exactly (rome99; scale-free, uniform and
// road-like graphs with float weights; bounds; zero-weight arcs; sums that round back; edges of
// mixed directions and their undirected copy; incremental changes) and its parents lie on
// shortest paths. Only the emulator can inject faults: there the physics engine's fault resets the
// device and the shortest-path engine reopens on it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { probeCuda } from '../../src/gpu/cuda-driver.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { ROME99_GR } from '../../src/import/samples.ts';
import { DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import { parseDimacs } from '../../src/sssp/dimacs.ts';
import type { SsspResult } from '../../src/sssp/engine.ts';
import { GpuSsspEngine } from '../../src/sssp/gpu-engine.ts';
import { pathIndices } from '../../src/sssp/paths.ts';
import { fakeDriver } from '../gpu/fake-driver.ts';
import { baLayout, stepGlobals } from '../physics/helpers.ts';
import type { Direction } from './support/build.ts';
import { barabasiAlbert, roadGrid, uniformRandom, type ArrayGraph } from './support/graphs.ts';

const probe = probeCuda();
const fake = probe.available ? undefined : fakeDriver().driver;
const libraryPath = probe.available ? undefined : fake?.path;
const gpu = libraryPath === undefined && !probe.available ? undefined : await GpuSsspEngine.open({ libraryPath });
const reason = gpu === undefined ? `no GPU and no emulator: ${fakeDriver().reason ?? ''}` : gpu.unavailable;
const onGpu = reason === undefined ? test.serial : test.skip;
const onEmulator = reason === undefined && fake !== undefined ? test.serial : test.skip;
const where = probe.available ? `on ${gpu?.deviceName}` : 'on the emulated driver';
const note = reason === undefined ? where : `(skipped: ${reason.split('(')[0]!.trim()})`;
if (fake !== undefined) test.before((t) => t.log(`emulator seed ${fake.seed} (VF_EMULATOR_SEED replays it)`));
test.after.always(() => gpu?.dispose());

test('without a driver the GPU engine opens without crashing and says why', async (t) => {
  const none = await GpuSsspEngine.open({ libraryPath: '/nonexistent/libcuda.so.1' });
  t.regex(none.unavailable ?? '', /^no GPU: no CUDA driver/);
  const o = await none.run(new DynamicCsr(), { source: 0 });
  t.false(o.ok);
  if (!o.ok) t.is(o.error.code, 'engine-failed');
  none.dispose();
  t.log(reason ?? `runs ${where}`);
});

function csrOf(
  g: ArrayGraph | { nodeIds: ArrayLike<number>; source: ArrayLike<number>; target: ArrayLike<number>; weight: ArrayLike<number> },
  direction: Direction,
): DynamicCsr {
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
    for (let k = csr.rowStart[p]!; k < csr.rowStart[p]! + csr.rowLen[p]!; k++)
      if (csr.col[k] === i && b.distance[p]! + csr.weight[k]! === b.distance[i]) tight = true;
    if (!tight) return `node ${csr.idOf[i]}: parent arc is not tight`;
  }
  for (const v of b.order) if (pathIndices(b, v) === null) return `node ${csr.idOf[v]}: broken parent chain`;
  return a.order.length === b.order.length ? null : `reached ${a.order.length} vs ${b.order.length}`;
}

async function compare(csr: DynamicCsr, sources: readonly number[], maxDistance?: number): Promise<string | null> {
  const cpu = new CpuSsspEngine();
  for (const source of sources) {
    const a = cpu.runSync(csr, { source, maxDistance });
    const b = await gpu!.run(csr, { source, maxDistance });
    if (!a.ok || !b.ok) return `source ${source}: ${a.ok ? '' : a.error.message} ${b.ok ? '' : b.error.message}`;
    const err = agree(csr, a.result, b.result);
    if (err !== null) return `source ${source}: ${err}`;
  }
  return null;
}

/** Every source on a GPU; an even spread of them on the emulator, which runs the kernels on one core. */
function spread(ids: ArrayLike<number>, emulated: number): number[] {
  const all = Array.from(ids);
  if (probe.available || all.length <= emulated) return all;
  return Array.from({ length: emulated }, (_, k) => all[Math.floor((k * all.length) / emulated)]!);
}

onGpu(`GPU equals CPU on rome99 from every source (a spread of 150 on the emulator) ${note}`, async (t) => {
  const rome = parseDimacs(readFileSync(ROME99_GR, 'utf8'));
  const csr = csrOf(rome, 'directed');
  t.is(await compare(csr, spread(rome.nodeIds, 150)), null);
});

onGpu(`GPU equals CPU on Barabasi-Albert, uniform and road-like graphs with float weights, with and without a bound ${note}`, async (t) => {
  for (const g of [barabasiAlbert(20_000, 2, 11), uniformRandom(20_000, 8, 12), roadGrid(120, 150, 14), barabasiAlbert(200_000, 2, 13)]) {
    const csr = csrOf(g, 'undirected');
    t.is(await compare(csr, [0, 1, 777, g.n - 1]), null);
    t.is(gpu!.lastRun?.parents, 'one-pass');
    t.log(`${g.n} nodes: ${gpu!.lastRun?.rounds} rounds in ${gpu!.lastRun?.batches} batches, delta ${gpu!.lastRun?.delta.toFixed(1)}`);
    t.is(await compare(csr, [5], 60), null);
  }
});

onGpu(`GPU parents stay acyclic with zero-weight arcs (breadth-first claims) ${note}`, async (t) => {
  const g = uniformRandom(5_000, 6, 21, true);
  for (let k = 0; k < g.weight.length; k += 3) g.weight[k] = 0;
  const csr = csrOf(g, 'undirected');
  t.is(await compare(csr, [0, 42, 4_999]), null);
  t.is(gpu!.lastRun?.parents, 'bfs');
});

onGpu(`a weight too small to change a distance still gets its node a parent ${note}`, async (t) => {
  // d(2) = 1e20 + 1 = 1e20 = d(1): the one tight arc into 2 does not lower the distance.
  const csr = csrOf({ nodeIds: [0, 1, 2, 3], source: [0, 1, 2], target: [1, 2, 3], weight: [1e20, 1, 5] }, 'directed');
  t.is(await compare(csr, [0]), null);
  t.is(gpu!.lastRun?.parents, 'bfs');
});

onGpu(`GPU follows incremental changes (re-upload on a new version) ${note}`, async (t) => {
  const g = barabasiAlbert(10_000, 2, 31);
  const csr = csrOf(g, 'undirected');
  t.is(await compare(csr, [0]), null);
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 10_000_000n, source: 0, target: 9_999, weight: 0.5 }] });
  csr.apply({ type: 'edge-weights-changed', version: 3, edges: [{ id: 0n, weight: 1000 }] });
  t.is(await compare(csr, [0, 9_999]), null);
});

onGpu(`GPU equals CPU on mixed directions, and on the undirected copy, switching between the two ${note}`, async (t) => {
  const g = uniformRandom(20_000, 6, 41);
  const csr = new DynamicCsr();
  // Every third edge both ways, the rest one way.
  csr.load(1, g.nodeIds, g.source, g.target, g.weight, { directed: Uint8Array.from(g.source, (_, k) => (k % 3 === 0 ? 0 : 1)) });
  const copy = new DynamicCsr('undirected');
  await copy.copyInSlices(csr, async () => undefined);
  for (const graph of [csr, copy, csr]) t.is(await compare(graph, [0, 17, 19_999]), null);
  csr.apply({ type: 'edges-removed', version: 2, ids: [1n] });
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 1n, source: g.source[1]!, target: g.target[1]!, weight: g.weight[1]! }] });
  t.is(await compare(csr, [0, 17]), null);
});

onGpu(`the event loop turns while a query runs ${note}`, async (t) => {
  fake?.configure({ maxNotReady: 10 });
  t.teardown(() => fake?.configure({}));
  const csr = csrOf(roadGrid(100, 100, 3), 'undirected');
  await gpu!.run(csr, { source: 0 });
  let turns = 0;
  let done = false;
  const running = gpu!.run(csr, { source: 5_050 }).finally(() => (done = true));
  while (!done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  t.true((await running).ok);
  t.log(`${turns} event-loop turns during the query`);
  t.true(turns > 1);
});

onEmulator(
  `physics and shortest paths share the device on their own streams; a physics fault resets it and the next query reopens ${note}`,
  async (t) => {
    const physics = CudaPhysicsEngine.create({ libraryPath });
    const layout = baLayout(400, 5);
    const csr = csrOf(barabasiAlbert(3_000, 2, 8), 'undirected');
    const step = (): Promise<unknown> =>
      physics.step(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, layout.n), {
        structure: layout.structureVersion,
        positions: layout.positionsVersion,
      });
    const [, answer] = await Promise.all([step(), compare(csr, [0, 9])]);
    t.is(answer, null, 'both at once');
    fake!.failLaunches(1);
    await t.throwsAsync(step);
    await physics.dispose();
    const resets = fake!.resets();
    t.is(await compare(csr, [3]), null, 'the query reopened the device after the fault');
    t.is(fake!.resets(), resets + 1);
    const again = CudaPhysicsEngine.create({ libraryPath });
    t.teardown(() => again.dispose());
    t.is(fake!.resets(), resets + 1, 'no second reset: the device is healthy');
    t.is(await compare(csr, [4]), null, 'and the physics engine opening again does not disturb it');
  },
);
