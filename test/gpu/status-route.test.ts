// What the node knows about its GPU reaches the status page: GET /api/gpu (admins only) gives the
// driver version and devices or why there is none, and each kernel module's load with every
// refused image and the driver's reason; the status page shows it.
import test from 'ava';
import { CudaDriver, CudaModuleError, probeCuda } from '../../src/gpu/cuda-driver.ts';
import type { GpuStatus } from '../../src/gpu/gpu-status.ts';
import { startGateway } from '../gateway/support.ts';
import { fakeDriver } from './fake-driver.ts';

const { driver } = fakeDriver();

test.serial('GET /api/gpu is for admins and says why there is no GPU', async (t) => {
  const h = await startGateway(t);
  probeCuda('/nonexistent/libcuda.so.1');
  t.is((await fetch(`http://${h.base}/api/gpu`)).status, 401);
  t.is((await fetch(`http://${h.base}/api/gpu?token=${h.token('editor')}`)).status, 403);
  const status = (await (await fetch(`http://${h.base}/api/gpu?token=${h.token('admin')}`)).json()) as GpuStatus;
  t.like(status.probe, { available: false, driver: null, library: '/nonexistent/libcuda.so.1' });
  t.regex(status.probe?.reason ?? '', /no CUDA driver/);
  const page = await (await fetch(`http://${h.base}/status?token=${h.token('admin')}`)).text();
  t.regex(page, /<h2>GPU<\/h2><pre id="gpu">/);
  t.regex(page, /fetch\('\/api\/gpu' \+ q\)/);
});

(driver === undefined ? test.skip : test.serial)(
  'GET /api/gpu gives the driver version and every refused image with its reason',
  async (t) => {
    const fake = driver!;
    t.teardown(() => fake.setDevice({}));
    const h = await startGateway(t);
    fake.setDevice({ driverVersion: 10020 });
    probeCuda(fake.path);
    const ctx = CudaDriver.load(fake.path).context(0);
    t.teardown(() => ctx.release());
    t.throws(() => ctx.loadKernels('sssp', ['sssp_round']), { instanceOf: CudaModuleError });
    const status = (await (await fetch(`http://${h.base}/api/gpu?token=${h.token('admin')}`)).json()) as GpuStatus;
    t.like(status.probe, { available: true, driver: '10.2' });
    const sssp = status.modules.find((m) => m.module === 'sssp');
    t.is(sssp?.loaded, null);
    t.deepEqual(
      sssp?.attempts.map((a) => a.image),
      ['fatbin (build/gpu/sssp.fatbin)', 'ptx (build/gpu/sssp.ptx)'],
    );
    for (const a of sssp?.attempts ?? []) t.regex(a.error, /CUDA_ERROR_UNSUPPORTED_PTX_VERSION \(222\).*JIT: .*Unsupported \.version 7\.0/);
  },
);
