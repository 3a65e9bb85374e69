// Builds the stand-in CUDA driver (test/gpu/emulator) with g++ into .tmp/fake-cuda/, once per
// version of its sources (test files share it), and binds its test hooks; undefined with a reason
// when there is no C++ compiler. Its thread order comes from a seed: VF_EMULATOR_SEED, or a random
// one that the tests print, so that a failure can be replayed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const EMULATOR = fileURLToPath(new URL('./emulator/', import.meta.url));
const SOURCES = [
  `${EMULATOR}fake-cuda.cpp`,
  `${EMULATOR}cuda-shim.h`,
  `${EMULATOR}test-kernels.cu`,
  fileURLToPath(new URL('../../src/gpu/physics.cu', import.meta.url)),
  fileURLToPath(new URL('../../src/gpu/sssp.cu', import.meta.url)),
];
const OUT_DIR = fileURLToPath(new URL('../../.tmp/fake-cuda/', import.meta.url));
// -Bsymbolic: its own calls (cuModuleLoadData to cuModuleLoadDataEx) stay inside it even in a
// process that has loaded a real libcuda too. No fortified longjmp: fibers jump between stacks.
const FLAGS = ['-O2', '-std=c++17', '-U_FORTIFY_SOURCE', '-D_FORTIFY_SOURCE=0', '-shared', '-fPIC', '-Wl,-Bsymbolic'];

export interface EmulatorOptions {
  /** Seed of the thread order, the interleavings and the events' not-ready answers. */
  readonly seed?: number;
  /** Percent chance that a thread gives way to another before an atomic or a fence. */
  readonly yieldPercent?: number;
  /** Blocks whose threads run interleaved at once. */
  readonly concurrentBlocks?: number;
  /** Most times cuEventQuery answers not-ready for one record (drawn from 0 to this). */
  readonly maxNotReady?: number;
}

export interface EmulatedDevice {
  readonly computeCapability?: readonly [number, number];
  /** As cuDriverGetVersion reports it: 12040 for CUDA 12.4. */
  readonly driverVersion?: number;
  readonly multiprocessors?: number;
}

export interface FakeDriver {
  readonly path: string;
  /** The seed in use (VF_EMULATOR_SEED or a random one). */
  readonly seed: number;
  configure(options: EmulatorOptions): void;
  setDevice(device: EmulatedDevice): void;
  /** The next `count` launches fail (CUDA_ERROR_LAUNCH_FAILED, sticky as on a device). */
  failLaunches(count: number): void;
  launches(): number;
  liveAllocations(): number;
  livePinned(): number;
  resets(): number;
  /** What the last fault was (kernel, thread, address), or ''. */
  lastError(): string;
  /** Which image the last module load used ("sm_90 cubin from a fatbin", "PTX 7.0 ... JIT-compiled"). */
  lastModule(): string;
}

export const DEFAULT_DEVICE: Required<EmulatedDevice> = { computeCapability: [9, 0], driverVersion: 13000, multiprocessors: 1 };
export const DEFAULT_EMULATION: Required<Omit<EmulatorOptions, 'seed'>> = { yieldPercent: 5, concurrentBlocks: 2, maxNotReady: 3 };

let built: { driver?: FakeDriver; reason?: string } | undefined;

export function fakeDriver(): { driver?: FakeDriver; reason?: string } {
  built ??= build();
  return built;
}

function build(): { driver?: FakeDriver; reason?: string } {
  const hash = createHash('sha256');
  for (const s of SOURCES) hash.update(readFileSync(s));
  hash.update(FLAGS.join(' '));
  const path = `${OUT_DIR}libfakecuda-${hash.digest('hex').slice(0, 16)}.so`;
  try {
    if (!existsSync(path)) {
      mkdirSync(OUT_DIR, { recursive: true });
      // Built beside, then renamed: test files building at once never load a half-written file.
      const partial = `${path}.${process.pid}.tmp`;
      execFileSync('g++', [...FLAGS, '-o', partial, SOURCES[0]!], { stdio: 'pipe' });
      renameSync(partial, path);
    }
  } catch (error) {
    return {
      reason: `cannot build the emulated CUDA driver (g++): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
  type Fn = (...a: unknown[]) => number;
  const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(sig: string): Fn } };
  const lib = koffi.load(path);
  const configure = lib.func('int fake_cuda_configure(uint64_t seed, int yieldPercent, int concurrentBlocks, int maxNotReady)');
  const setDevice = lib.func('int fake_cuda_set_device(int major, int minor, int driverVersion, int multiprocessors)');
  const fail = lib.func('int fake_cuda_fail_launches(int count)');
  const launches = lib.func('long long fake_cuda_launches()');
  const live = lib.func('int fake_cuda_live_allocations()');
  const livePinned = lib.func('int fake_cuda_live_pinned()');
  const resets = lib.func('int fake_cuda_resets()');
  const lastError = lib.func('int fake_cuda_last_error(uint8_t *out, int len)');
  const lastModule = lib.func('int fake_cuda_last_module(uint8_t *out, int len)');
  const text = (f: Fn): string => {
    const out = new Uint8Array(1024);
    f(out, out.length);
    const end = out.indexOf(0);
    return new TextDecoder().decode(out.subarray(0, end < 0 ? out.length : end));
  };
  const envSeed = Number(process.env.VF_EMULATOR_SEED);
  const seed = Number.isInteger(envSeed) && envSeed > 0 ? envSeed : 1 + Math.floor(Math.random() * 2 ** 31);
  const driver: FakeDriver = {
    path,
    seed,
    configure: (o) => {
      const d = DEFAULT_EMULATION;
      configure(
        BigInt(o.seed ?? seed),
        o.yieldPercent ?? d.yieldPercent,
        o.concurrentBlocks ?? d.concurrentBlocks,
        o.maxNotReady ?? d.maxNotReady,
      );
    },
    setDevice: (o) => {
      const d = DEFAULT_DEVICE;
      const cc = o.computeCapability ?? d.computeCapability;
      setDevice(cc[0], cc[1], o.driverVersion ?? d.driverVersion, o.multiprocessors ?? d.multiprocessors);
    },
    failLaunches: (c) => void fail(c),
    launches: () => Number(launches()),
    liveAllocations: () => live(),
    livePinned: () => livePinned(),
    resets: () => resets(),
    lastError: () => text(lastError),
    lastModule: () => text(lastModule),
  };
  driver.configure({});
  driver.setDevice({});
  return { driver };
}
