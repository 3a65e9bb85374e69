// The CUDA physics engine end to end (koffi loader, device and pinned memory, its stream, the
// launch sequence, the kernels of src/gpu/physics.cu) on a stand-in driver that runs the kernels on
// the CPU, its threads interleaved in a seeded random order, its memory bounds-checked, its events
// not ready at first. What a GPU adds (real parallelism, real timing) is covered by
// cuda-device.test.ts.
import test from 'ava';
import { physicsActor } from '../../src/actors/physics.ts';
import { physicsSupervision } from '../../src/supervisors/app-tree.ts';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { cudaCandidate, serialCandidate } from '../../src/actors/physics-engines.ts';
import { CudaError, CudaDriver, CudaUnavailable, probeCuda } from '../../src/gpu/cuda-driver.ts';
import { kernelsFresh } from '../../src/gpu/kernel-image.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { SerialEngine } from '../../src/physics/cpu/serial-engine.ts';
import { EngineSelector } from '../../src/physics/engine-selector.ts';
import { barabasiAlbert, toTopology } from '../../src/physics/generators.ts';
import { Layout } from '../../src/physics/layout.ts';
import { applyPatch, DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { testSystem } from '../helpers/system.ts';
import { baLayout, extent, maxAbsDiff, stepGlobals } from '../physics/helpers.ts';
import { barnesHutAgreement, EXACT_TOLERANCE, exactAgreement, richLayout } from './agreement.ts';
import { fakeDriver } from './fake-driver.ts';

const { driver, reason } = fakeDriver();
const emulated = driver !== undefined ? test.serial : test.skip;
const why = driver !== undefined ? '' : ` (skipped: ${reason})`;
if (driver !== undefined) test.before((t) => t.log(`emulator seed ${driver.seed} (VF_EMULATOR_SEED replays it)`));

test('the committed kernels were built from the current physics.cu and sssp.cu (npm run build:kernels)', (t) => {
  t.true(kernelsFresh('physics'));
  t.true(kernelsFresh('sssp'));
});

test('a missing driver is reported, not thrown: "no GPU" here', (t) => {
  const probe = probeCuda('/nonexistent/libcuda.so.1');
  t.false(probe.available);
  if (!probe.available) t.regex(probe.reason, /no CUDA driver/);
  t.throws(() => CudaDriver.load('/nonexistent/libcuda.so.1'), { instanceOf: CudaUnavailable });
  const here = probeCuda();
  t.log(here.available ? `GPU: ${here.devices.map((d) => d.name).join(', ')}` : `no GPU: ${here.reason}`);
});

emulated(`the emulated driver is probed like a real one${why}`, (t) => {
  const probe = probeCuda(driver!.path);
  t.true(probe.available);
  if (probe.available) t.deepEqual(probe.devices[0]!.computeCapability, [9, 0]);
});

emulated(`CPU and CUDA engines agree on exact repulsion (theta 0)${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  t.log(gpu.description);
  await exactAgreement(t, gpu, 300);
});

emulated(`CPU and CUDA engines agree through the PTX path too (a GPU newer than the cubins)${why}`, async (t) => {
  driver!.setDevice({ computeCapability: [12, 0] });
  t.teardown(() => driver!.setDevice({}));
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  t.regex(driver!.lastModule(), /PTX 7\.0 .*JIT-compiled for sm_120/);
  await exactAgreement(t, gpu, 200);
});

emulated(`CPU and CUDA engines each stay within tolerance of the exact force at theta 1${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  await barnesHutAgreement(t, gpu, 1500);
});

emulated(
  `only positions come back: nodes the host moves, adds or re-slots take its values, the rest keep their device velocities${why}`,
  async (t) => {
    // The same edits on the CPU and the GPU, exact repulsion: if the device took the host's stale
    // velocities for every node (or ignored the edits), the two would part.
    const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
    t.teardown(() => gpu.dispose());
    const cpu = new SerialEngine();
    const p = applyPatch(DEFAULT_PARAMS, { theta: 0, boundRadius: 40 });
    const a = richLayout(250, 3);
    const b = richLayout(250, 3);
    const step = async (): Promise<void> => {
      cpu.stepSync(a.prepare(p), stepGlobals(p, a.n));
      await gpu.step(b.prepare(p), stepGlobals(p, b.n), { structure: b.structureVersion, positions: b.positionsVersion });
    };
    for (let s = 0; s < 4; s++) await step();
    for (const l of [a, b]) l.moveNodes([{ id: 10, position: { x: 30, y: -4, z: 2 } }]);
    for (let s = 0; s < 3; s++) await step();
    for (const l of [a, b]) l.removeNodes([17, 40]);
    for (let s = 0; s < 3; s++) await step();
    for (const l of [a, b]) l.addNodes([{ id: 5000, kind: 'knowledge', position: { x: -3, y: 8, z: 1 } }]);
    for (let s = 0; s < 3; s++) await step();
    const scale = extent(a.buffers.pos, 3 * a.n);
    const diff = maxAbsDiff(a.buffers.pos, b.buffers.pos, 3 * a.n);
    t.log(`largest coordinate difference ${diff.toExponential(2)} over an extent of ${scale.toFixed(1)}`);
    t.true(diff <= EXACT_TOLERANCE * scale, `difference ${diff}`);
  },
);

emulated(`the CUDA engine follows host changes: growth, pins, moves; and frees its memory${why}`, async (t) => {
  const live = driver!.liveAllocations();
  const pinned = driver!.livePinned();
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  const layout = baLayout(50, 2);
  const step = (): Promise<unknown> => {
    const b = layout.prepare(DEFAULT_PARAMS);
    return gpu.step(b, stepGlobals(DEFAULT_PARAMS, layout.n), { structure: layout.structureVersion, positions: layout.positionsVersion });
  };
  await step();
  layout.addNodes(Array.from({ length: 2000 }, (_, i) => ({ id: 1000 + i, kind: 'knowledge' as const })));
  layout.addEdges(Array.from({ length: 2000 }, (_, i) => ({ id: BigInt(7000 + i), source: 1000 + i, target: i % 50, weight: 1 })));
  await step();
  layout.pin(1000, { x: 77, y: 0, z: 0 });
  layout.moveNodes([{ id: 1001, position: { x: -77, y: 0, z: 0 } }]);
  await step();
  t.deepEqual(layout.position(1000), { x: 77, y: 0, z: 0 });
  t.true(Math.abs(layout.position(1001)!.x + 77) < 5);
  for (let i = 0; i < 3 * layout.n; i++) if (!Number.isFinite(layout.buffers.pos[i]!)) t.fail('non-finite position');
  await gpu.dispose();
  t.is(driver!.liveAllocations(), live);
  t.is(driver!.livePinned(), pinned);
});

emulated(`tiny layouts (1, 2, 3 nodes, coincident) step to finite positions${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  for (const n of [1, 2, 3]) {
    const layout = new Layout(mulberry32(n), 10);
    layout.addNodes(Array.from({ length: n }, (_, id) => ({ id, kind: 'knowledge' as const, position: { x: 1, y: 1, z: 1 } })));
    for (let s = 0; s < 3; s++) {
      const b = layout.prepare(DEFAULT_PARAMS);
      await gpu.step(b, stepGlobals(DEFAULT_PARAMS, n), { structure: layout.structureVersion, positions: layout.positionsVersion });
    }
    const pos = Array.from(layout.buffers.pos.subarray(0, 3 * n));
    t.true(pos.every(Number.isFinite), `n = ${n}: ${pos.join(', ')}`);
    if (n > 1) t.notDeepEqual(layout.position(0), layout.position(1), 'coincident nodes separated');
  }
});

emulated(`a step at 262,144 nodes in buffers sized for 271,625 stays in bounds${why}`, async (t) => {
  // The bounds-checked emulator fails the step with CUDA_ERROR_ILLEGAL_ADDRESS on any access
  // outside an allocation. These sizes matter because a launch shape computed from n (rather than
  // from the capacity the buffers were sized for) can be larger at n than at the capacity: a chunk
  // size that grows with n makes the thread count drop just above 262,144.
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  const layout = new Layout(mulberry32(7), 10);
  const total = 271_625;
  layout.addNodes(Array.from({ length: total }, (_, id) => ({ id, kind: 'knowledge' as const })));
  layout.addEdges(Array.from({ length: 20_000 }, (_, k) => ({ id: BigInt(k), source: k, target: (k * 7919) % total, weight: 1 })));
  layout.removeNodes(Array.from({ length: total - 262_144 }, (_, k) => 262_144 + k));
  // A loose theta keeps the emulated traversal short; the sort is what this is about.
  const p = applyPatch(DEFAULT_PARAMS, { theta: 2 });
  const b = layout.prepare(p);
  t.is(b.capacity, total);
  t.is(layout.n, 262_144);
  await gpu.step(b, stepGlobals(p, layout.n), { structure: layout.structureVersion, positions: layout.positionsVersion });
  for (let i = 0; i < 3 * layout.n; i++) if (!Number.isFinite(b.pos[i]!)) return t.fail(`non-finite coordinate at ${i}`);
  t.pass();
});

emulated(`a failed launch fails the step with the driver's error name, and the next engine resets the device first${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  const layout = baLayout(20, 2);
  driver!.failLaunches(1);
  const error = await t.throwsAsync(
    gpu.step(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, layout.n), { structure: 0, positions: 0 }),
    {
      instanceOf: CudaError,
    },
  );
  t.is(error?.errorName, 'CUDA_ERROR_LAUNCH_FAILED');
  t.true(error?.sticky);
  driver!.failLaunches(0);
  await gpu.dispose();
  const resets = driver!.resets();
  const next = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => next.dispose());
  t.is(driver!.resets(), resets + 1);
  const stats = await next.step(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, layout.n), { structure: 1, positions: 1 });
  t.true(Number.isFinite(stats.maxSpeed));
});

emulated(`the event loop turns while a step runs${why}`, async (t) => {
  driver!.configure({ maxNotReady: 10 });
  t.teardown(() => driver!.configure({}));
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  const layout = baLayout(500, 3);
  const b = layout.prepare(DEFAULT_PARAMS);
  let turns = 0;
  let done = false;
  const stepping = gpu.step(b, stepGlobals(DEFAULT_PARAMS, layout.n), { structure: 1, positions: 1 }).finally(() => (done = true));
  while (!done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  await stepping;
  t.true(turns >= 1, `${turns} turns`);
});

emulated(`the physics actor runs on the CUDA engine and falls back to the CPU when launches keep failing${why}`, async (t) => {
  const ts = testSystem(t);
  const selector = new EngineSelector([cudaCandidate({ libraryPath: driver!.path }), serialCandidate], { failuresBeforeFallback: 3 });
  const physics = ts.system.spawn(physicsActor({ selector }), {
    name: 'physics',
    supervision: physicsSupervision(selector, { minMs: 0, maxMs: 0 }),
  });
  const g = toTopology(barabasiAlbert(60, 2, mulberry32(5)));
  physics.tell({ type: 'reset', version: 1, nodes: g.nodes, edges: g.edges });
  const stats = (): Promise<PhysicsStats> =>
    ts.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 1000);
  await ts.advance(200);
  let s = await stats();
  t.is(s.engine, 'cuda');
  t.true(s.ticks > 3);
  driver!.failLaunches(1_000_000);
  await ts.advance(500);
  driver!.failLaunches(0);
  s = await stats();
  t.is(s.engine, 'cpu-serial');
  t.like(s.fallbacks[0], { from: 'cuda', to: 'cpu-serial' });
  const ticks = s.ticks;
  await ts.advance(200);
  t.true((await stats()).ticks > ticks, 'the graph keeps moving on the CPU');
});
