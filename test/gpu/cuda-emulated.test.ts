// The CUDA engine end to end (koffi loader, device memory, the launch sequence, the kernels of
// src/gpu/physics.cu) on a stand-in driver that runs the kernels on the CPU one thread at a time.
// What a GPU adds (parallel execution, real timing) is covered by cuda-device.test.ts.
import test from 'ava';
import { physicsActor, physicsSupervision } from '../../src/actors/physics.ts';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { cudaCandidate, serialCandidate } from '../../src/actors/physics-subsystem.ts';
import { CudaError, CudaDriver, CudaUnavailable, probeCuda } from '../../src/gpu/cuda-driver.ts';
import { kernelsFresh } from '../../src/gpu/kernel-image.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { EngineSelector } from '../../src/physics/engine-selector.ts';
import { barabasiAlbert, toTopology } from '../../src/physics/generators.ts';
import { Layout } from '../../src/physics/layout.ts';
import { DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { testSystem } from '../helpers/system.ts';
import { baLayout, stepGlobals } from '../physics/helpers.ts';
import { barnesHutAgreement, exactAgreement } from './agreement.ts';
import { fakeDriver } from './fake-driver.ts';

const { driver, reason } = fakeDriver();
const emulated = driver !== undefined ? test.serial : test.skip;
const why = driver !== undefined ? '' : ` (skipped: ${reason})`;

test('the committed kernels were built from the current physics.cu (npm run build:kernels)', (t) => {
  t.true(kernelsFresh('physics'));
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
  await exactAgreement(t, gpu, 300);
});

emulated(`CPU and CUDA engines each stay within tolerance of the exact force at theta 1${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  await barnesHutAgreement(t, gpu, 1500);
});

emulated(`the CUDA engine follows host changes: growth, pins, moves; and frees its memory${why}`, async (t) => {
  const live = driver!.liveAllocations();
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  const layout = baLayout(50, 2);
  const step = (): Promise<unknown> => {
    const b = layout.prepare(DEFAULT_PARAMS);
    return gpu.step(b, stepGlobals(DEFAULT_PARAMS, layout.n), { structure: layout.structureVersion, positions: layout.positionsVersion });
  };
  await step();
  layout.addNodes(Array.from({ length: 200 }, (_, i) => ({ id: 1000 + i, kind: 'knowledge' as const })));
  layout.addEdges(Array.from({ length: 200 }, (_, i) => ({ id: BigInt(7000 + i), source: 1000 + i, target: i % 50, weight: 1 })));
  await step();
  layout.pin(1000, { x: 77, y: 0, z: 0 });
  layout.moveNodes([{ id: 1001, position: { x: -77, y: 0, z: 0 } }]);
  await step();
  t.deepEqual(layout.position(1000), { x: 77, y: 0, z: 0 });
  t.true(Math.abs(layout.position(1001)!.x + 77) < 5);
  for (let i = 0; i < 3 * layout.n; i++) if (!Number.isFinite(layout.buffers.pos[i]!)) t.fail('non-finite position');
  await gpu.dispose();
  t.is(driver!.liveAllocations(), live);
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

emulated(`a failed launch fails the step with the driver's error name${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create({ libraryPath: driver!.path });
  t.teardown(() => gpu.dispose());
  const layout = baLayout(20, 2);
  driver!.failLaunches(1);
  const error = await t.throwsAsync(gpu.step(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, layout.n), { structure: 0, positions: 0 }), {
    instanceOf: CudaError,
  });
  t.is(error?.errorName, 'CUDA_ERROR_LAUNCH_FAILED');
  driver!.failLaunches(0);
});

emulated(`the physics actor runs on the CUDA engine and falls back to the CPU when launches keep failing${why}`, async (t) => {
  const ts = testSystem(t);
  const selector = new EngineSelector([cudaCandidate({ libraryPath: driver!.path }), serialCandidate], { failuresBeforeFallback: 3 });
  const physics = ts.system.spawn(physicsActor({ selector }), { name: 'physics', supervision: physicsSupervision(selector, { minMs: 0, maxMs: 0 }) });
  const g = toTopology(barabasiAlbert(60, 2, mulberry32(5)));
  physics.tell({ type: 'reset', version: 1, nodes: g.nodes, edges: g.edges });
  const stats = (): Promise<PhysicsStats> => ts.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 1000);
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
