// CPU/GPU agreement on a real GPU (the shared cases of agreement.ts at GPU sizes), run only where
// the CUDA driver finds a device; elsewhere each test is reported as skipped with the reason.
import test from 'ava';
import { probeCuda } from '../../src/gpu/cuda-driver.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { baLayout, stepGlobals } from '../physics/helpers.ts';
import { barnesHutAgreement, exactAgreement } from './agreement.ts';

const probe = probeCuda();
const gpuTest = probe.available ? test.serial : test.skip;
const why = probe.available ? ` on ${probe.devices[0]!.name}` : ` (skipped: no GPU: ${probe.reason})`;

gpuTest(`CPU and GPU agree on exact repulsion (theta 0), 2k nodes${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  t.log(gpu.description);
  await exactAgreement(t, gpu, 2000);
});

gpuTest(`CPU and GPU each stay within tolerance of the exact force at theta 1, 20k nodes${why}`, async (t) => {
  const gpu = CudaPhysicsEngine.create();
  t.teardown(() => gpu.dispose());
  await barnesHutAgreement(t, gpu, 20_000);
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
