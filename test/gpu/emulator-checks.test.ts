// The emulated driver fails where a GPU (or compute-sanitizer) would: out-of-bounds accesses,
// threads that only work in one order, barriers not every thread reaches, events that are not
// ready yet, images a driver would refuse. And the loader reports each refusal with its reason,
// resets the device after a sticky fault, and hands PTX over NUL-terminated.
import test, { type ExecutionContext } from 'ava';
import { CudaDriver, CudaError, CudaModuleError, probeCuda, type CudaContext, type CudaModule } from '../../src/gpu/cuda-driver.ts';
import { describeGpuEvent, gpuStatus } from '../../src/gpu/gpu-status.ts';
import { kernelImages, ptxImage, type KernelImage } from '../../src/gpu/kernel-image.ts';
import { fakeDriver, type FakeDriver } from './fake-driver.ts';

const { driver, reason } = fakeDriver();
const emulated = driver !== undefined ? test.serial : test.skip;
const why = driver !== undefined ? '' : ` (skipped: ${reason})`;

const TEST_KERNELS = ['vf_test_write', 'vf_test_race', 'vf_test_atomic', 'vf_test_divergent_barrier', 'vf_test_barrier'] as const;
/** A PTX text naming the emulator's test kernels (the emulator runs its own compiled copies). */
const TEST_PTX = `.version 7.0\n.target sm_75\n.address_size 64\n${TEST_KERNELS.map((k) => `.visible .entry ${k}(\n)\n{\n\tret;\n}\n`).join('')}`;
const testImage = (bytes: Uint8Array = ptxImage(TEST_PTX)): KernelImage => ({
  name: 'emulator-tests',
  format: 'ptx',
  file: 'test/gpu/emulator-checks.test.ts',
  bytes,
});

function open(t: ExecutionContext, fake: FakeDriver): { ctx: CudaContext; module: CudaModule } {
  t.log(`emulator seed ${fake.seed} (VF_EMULATOR_SEED replays it)`);
  const ctx = CudaDriver.load(fake.path).context(0);
  t.teardown(() => ctx.release());
  return { ctx, module: ctx.loadImages('emulator-tests', [testImage()], TEST_KERNELS) };
}

/** The int at device pointer `p`, through pinned memory. */
async function readInt(ctx: CudaContext, p: bigint): Promise<number> {
  const s = ctx.stream();
  const host = ctx.pinned(4);
  s.downloadPinned(host, 0, p, 4);
  await s.idle();
  const v = new Int32Array(host.buffer(), 0, 1)[0]!;
  ctx.freePinned(host);
  return v;
}

emulated(`a write 40 KB past an allocation fails with CUDA_ERROR_ILLEGAL_ADDRESS, and the context until it is reset${why}`, async (t) => {
  const fake = driver!;
  const { ctx, module } = open(t, fake);
  const s = ctx.stream();
  const buf = ctx.alloc(4 * 100);
  s.launch(module.fn('vf_test_write'), 1, 32, [{ ptr: buf }, { i32: 99 }, { i32: 7 }]);
  await s.idle();
  t.is(await readInt(ctx, buf + 396n), 7, 'the last element is writable');
  s.launch(module.fn('vf_test_write'), 1, 32, [{ ptr: buf }, { i32: 100 + 10_000 }, { i32: 7 }]);
  const error = await t.throwsAsync(s.idle(), { instanceOf: CudaError });
  t.is(error?.errorName, 'CUDA_ERROR_ILLEGAL_ADDRESS');
  t.true(error?.sticky);
  t.regex(fake.lastError(), /vf_test_write \(block 0, thread 0\) wrote 40000 bytes past the end of a 400-byte allocation/);
  t.throws(() => ctx.alloc(16), { instanceOf: CudaError }, 'every call fails after the fault');
  t.truthy(ctx.fault);
  const resets = fake.resets();
  const fresh = CudaDriver.load(fake.path).context(0);
  t.teardown(() => fresh.release());
  t.is(fake.resets(), resets + 1, 'the next context reset the device first');
  t.false(ctx.usable, 'the old context is stale');
  const again = fresh.loadImages('emulator-tests', [testImage()], TEST_KERNELS);
  const b2 = fresh.alloc(64);
  const s2 = fresh.stream();
  s2.launch(again.fn('vf_test_write'), 1, 32, [{ ptr: b2 }, { i32: 3 }, { i32: 11 }]);
  await s2.idle();
  t.is(await readInt(fresh, b2 + 12n), 11);
  t.deepEqual(gpuStatus().resets.at(-1)?.after.includes('CUDA_ERROR_ILLEGAL_ADDRESS'), true);
});

emulated(`writes just past the end or before the start are caught when the launch ends${why}`, async (t) => {
  const fake = driver!;
  for (const [index, pattern] of [
    [101, /wrote 4 bytes past the end of a 404-byte allocation/],
    [-1, /wrote 4 bytes before the start of a 404-byte allocation/],
  ] as const) {
    const { ctx, module } = open(t, fake);
    if (ctx.fault !== undefined) t.fail('a fault left from before');
    const s = ctx.stream();
    const buf = ctx.alloc(4 * 101);
    s.launch(module.fn('vf_test_write'), 1, 32, [{ ptr: buf }, { i32: index }, { i32: 5 }]);
    const error = await t.throwsAsync(s.idle(), { instanceOf: CudaError });
    t.is(error?.errorName, 'CUDA_ERROR_ILLEGAL_ADDRESS');
    t.regex(fake.lastError(), pattern);
    ctx.release();
    CudaDriver.load(fake.path).context(0).release();
  }
});

emulated(`threads interleave: plain increments lose updates, atomic ones never do${why}`, async (t) => {
  const fake = driver!;
  fake.configure({ yieldPercent: 100 });
  t.teardown(() => fake.configure({}));
  const { ctx, module } = open(t, fake);
  const s = ctx.stream();
  const counter = ctx.alloc(4);
  s.memset32(counter, 0, 1);
  s.launch(module.fn('vf_test_race'), 4, 256, [{ ptr: counter }]);
  await s.idle();
  const racy = await readInt(ctx, counter);
  t.log(`1024 plain increments left ${racy}`);
  t.true(racy < 1024);
  s.memset32(counter, 0, 1);
  s.launch(module.fn('vf_test_atomic'), 4, 256, [{ ptr: counter }]);
  await s.idle();
  t.is(await readInt(ctx, counter), 1024);
});

emulated(`every thread of a block passes a barrier before any goes on; one that returns first fails the launch${why}`, async (t) => {
  const fake = driver!;
  const { ctx, module } = open(t, fake);
  const s = ctx.stream();
  const out = ctx.alloc(4 * 3 * 128);
  const arrived = ctx.alloc(4);
  s.memset32(arrived, 0, 1);
  s.launch(module.fn('vf_test_barrier'), 3, 128, [{ ptr: out }, { ptr: arrived }]);
  const host = ctx.pinned(4 * 3 * 128);
  s.downloadPinned(host, 0, out, 4 * 3 * 128);
  await s.idle();
  t.true(new Int32Array(host.buffer(), 0, 3 * 128).every((v) => v === 128));
  t.is(await readInt(ctx, arrived), 3);
  s.launch(module.fn('vf_test_divergent_barrier'), 1, 64, [{ i32: 10 }]);
  const error = await t.throwsAsync(s.idle(), { instanceOf: CudaError });
  t.is(error?.errorName, 'CUDA_ERROR_LAUNCH_FAILED');
  t.regex(fake.lastError(), /vf_test_divergent_barrier/);
  ctx.release();
  CudaDriver.load(fake.path).context(0).release();
});

emulated(`an event is not ready at first, and the event loop turns while it is polled${why}`, async (t) => {
  const fake = driver!;
  fake.configure({ maxNotReady: 20 });
  t.teardown(() => fake.configure({}));
  const { ctx, module } = open(t, fake);
  const s = ctx.stream();
  const counter = ctx.alloc(4);
  let notReady = 0;
  let turns = 0;
  for (let k = 0; k < 10; k++) {
    s.launch(module.fn('vf_test_atomic'), 1, 32, [{ ptr: counter }]);
    const mark = s.record();
    while (!mark.done()) {
      notReady++;
      await new Promise<void>((resolve) => setImmediate(() => resolve(void turns++)));
    }
  }
  t.true(notReady > 0 && turns === notReady, `${notReady} not-ready answers`);
});

emulated(`modules: the fatbin's cubin where it fits, its PTX elsewhere, and every reason when nothing loads${why}`, (t) => {
  const fake = driver!;
  t.teardown(() => fake.setDevice({}));
  const load = (): string => {
    const ctx = CudaDriver.load(fake.path).context(0);
    try {
      const module = ctx.loadKernels('physics', ['vf_forces', 'vf_sort_tile']);
      return `${module.image}: ${fake.lastModule()}`;
    } finally {
      ctx.release();
    }
  };
  t.regex(load(), /^fatbin: sm_90 cubin/);
  fake.setDevice({ computeCapability: [8, 6] });
  t.regex(load(), /^fatbin: sm_80 cubin/, 'an sm_80 cubin runs on sm_86');
  fake.setDevice({ computeCapability: [12, 0] });
  t.regex(load(), /^fatbin: PTX 7\.0 for sm_75 JIT-compiled for sm_120/, 'a newer GPU gets the PTX');
  fake.setDevice({ driverVersion: 12040 });
  t.regex(load(), /^fatbin: PTX 7\.0 for sm_75 JIT-compiled for sm_90/, 'a driver older than the toolkit gets the PTX');
  fake.setDevice({ driverVersion: 10020 });
  const error = t.throws(load, { instanceOf: CudaModuleError });
  t.log(error?.message);
  t.regex(
    error?.message ?? '',
    /driver 10\.2.*fatbin.*CUDA_ERROR_UNSUPPORTED_PTX_VERSION.*Unsupported \.version 7\.0; current version is '6\.5'.*; ptx \(build\/gpu\/physics\.ptx\): .*CUDA_ERROR_UNSUPPORTED_PTX_VERSION/,
  );
  const status = gpuStatus().modules.find((m) => m.module === 'physics');
  t.is(status?.loaded, null);
  t.is(status?.attempts.length, 2);
  t.is(describeGpuEvent({ kind: 'module', load: status! }).level, 'warn');
});

emulated(`an image without a kernel is passed over for the next, with the reason${why}`, (t) => {
  const fake = driver!;
  const ctx = CudaDriver.load(fake.path).context(0);
  t.teardown(() => ctx.release());
  const module = ctx.loadImages('physics', [testImage(), ...kernelImages('physics')], ['vf_forces']);
  t.is(module.image, 'fatbin');
  const status = gpuStatus().modules.find((m) => m.module === 'physics');
  t.is(status?.loaded, 'fatbin');
  t.regex(status?.attempts[0]?.error ?? '', /cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND/);
});

emulated(`PTX goes to the driver NUL-terminated; a text that runs on past its end is refused${why}`, (t) => {
  const bytes = ptxImage(TEST_PTX);
  t.is(bytes[bytes.length - 1], 0);
  t.is(bytes.indexOf(0), bytes.length - 1);
  t.is(ptxImage(bytes), bytes, 'already terminated: unchanged');
  for (const image of kernelImages('sssp')) if (image.format === 'ptx') t.is(image.bytes[image.bytes.length - 1], 0);
  const ctx = CudaDriver.load(driver!.path).context(0);
  t.teardown(() => ctx.release());
  const runOn = ptxImage(`${TEST_PTX}\u0001\u0002garbage after the text`);
  const error = t.throws(() => ctx.loadImages('emulator-tests', [testImage(runOn)], TEST_KERNELS), { instanceOf: CudaModuleError });
  t.regex(error?.message ?? '', /CUDA_ERROR_INVALID_PTX/);
});

emulated(`the probe reports the driver version, on the status page too${why}`, (t) => {
  const probe = probeCuda(driver!.path);
  t.true(probe.available);
  t.is(probe.driverVersion, 13000);
  const status = gpuStatus().probe;
  t.is(status?.driver, '13.0');
  t.regex(status?.devices[0] ?? '', /VisionFlow CPU emulator \(sm_90, 1 SMs/);
  t.regex(describeGpuEvent({ kind: 'probe', status }).message, /CUDA driver 13\.0/);
});
