// CPU/GPU agreement on a real GPU (the shared cases of agreement.ts at GPU sizes), run only where
// the CUDA driver finds a device; elsewhere each test is reported as skipped with the reason.
// compute-sanitizer runs the awkward sizes (scripts/gpu-check/sanitize.ts) in `npm run gpu:check`.
import test from 'ava';
import { probeCuda } from '../../src/gpu/cuda-driver.ts';
import { gpuStatus } from '../../src/gpu/gpu-status.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { Layout } from '../../src/physics/layout.ts';
import { applyPatch, DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { baLayout, stepGlobals } from '../physics/helpers.ts';
import { barnesHutAgreement, exactAgreement } from './agreement.ts';

const probe = probeCuda();
const gpuTest = probe.available ? test.serial : test.skip;
const why = probe.available ? ` on ${probe.devices[0]!.name}` : ` (skipped: no GPU: ${probe.reason})`;

gpuTest(`the kernels load from the fatbin, and the driver version is reported${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  t.log(gpu.description);
  const load = gpuStatus().modules.find((m) => m.module === 'physics');
  t.is(load?.loaded, 'fatbin', JSON.stringify(load));
  t.regex(gpuStatus().probe?.driver ?? '', /^\d+\.\d$/);
});

gpuTest(`CPU and GPU agree on exact repulsion (theta 0), 2k nodes${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  await exactAgreement(t, gpu, 2000);
});

gpuTest(`CPU and GPU each stay within tolerance of the exact force at theta 1, 20k nodes${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  await barnesHutAgreement(t, gpu, 20_000);
});

gpuTest(`262,144 nodes in buffers for 271,625 step to finite positions${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  const total = 271_625;
  const layout = new Layout(mulberry32(7), 10);
  layout.addNodes(Array.from({ length: total }, (_, id) => ({ id, kind: 'knowledge' as const })));
  layout.addEdges(Array.from({ length: 200_000 }, (_, k) => ({ id: BigInt(k), source: k, target: (k * 7919) % total, weight: 1 })));
  layout.removeNodes(Array.from({ length: total - 262_144 }, (_, k) => 262_144 + k));
  const p = applyPatch(DEFAULT_PARAMS, {});
  for (let s = 0; s < 3; s++) {
    const b = layout.prepare(p);
    await gpu.step(b, stepGlobals(p, layout.n), { structure: layout.structureVersion, positions: layout.positionsVersion });
  }
  for (let i = 0; i < 3 * layout.n; i++) if (!Number.isFinite(layout.buffers.pos[i]!)) return t.fail(`non-finite coordinate at ${i}`);
  t.pass();
});

gpuTest(`a 200k-node GPU step is finite and the event loop turns while it runs${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  const layout = baLayout(200_000, 3);
  const b = layout.prepare(DEFAULT_PARAMS);
  const versions = { structure: layout.structureVersion, positions: layout.positionsVersion };
  await gpu.step(b, stepGlobals(DEFAULT_PARAMS, layout.n), versions);
  let turns = 0;
  let done = false;
  const stepping = gpu.step(b, stepGlobals(DEFAULT_PARAMS, layout.n), versions).finally(() => (done = true));
  while (!done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  const stats = await stepping;
  t.log(`200k nodes: ${stats.ms.toFixed(2)} ms per step, ${turns} event-loop turns meanwhile`);
  for (let i = 0; i < 3 * layout.n; i++) if (!Number.isFinite(b.pos[i]!)) return t.fail(`non-finite coordinate at ${i}`);
  t.true(turns >= 1);
});
