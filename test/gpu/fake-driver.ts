// Builds the stand-in CUDA driver (test/gpu/emulator) into .tmp/ once per process; undefined with
// a reason when there is no C++ compiler.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const SOURCE = fileURLToPath(new URL('./emulator/fake-cuda.cpp', import.meta.url));
const SHIM = fileURLToPath(new URL('./emulator/cuda-shim.h', import.meta.url));
const KERNELS = fileURLToPath(new URL('../../src/gpu/physics.cu', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../../.tmp/fake-cuda/', import.meta.url));

export type FakeDriver = { readonly path: string; failLaunches(count: number): void; launches(): number; liveAllocations(): number };

let built: { driver?: FakeDriver; reason?: string } | undefined;

export function fakeDriver(): { driver?: FakeDriver; reason?: string } {
  built ??= build();
  return built;
}

function build(): { driver?: FakeDriver; reason?: string } {
  const path = `${OUT_DIR}libfakecuda-${process.pid}.so`;
  try {
    mkdirSync(OUT_DIR, { recursive: true });
    execFileSync('g++', ['-O2', '-std=c++17', '-shared', '-fPIC', '-o', path, SOURCE], { stdio: 'pipe' });
    statSync(SHIM);
    statSync(KERNELS);
  } catch (error) {
    return { reason: `cannot build the emulated CUDA driver (g++): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(sig: string): (...a: unknown[]) => number } };
  const lib = koffi.load(path);
  // Loaded (and loaded again by the engine under test from the same path): the file can go once
  // the process exits; unlinking now would break the engine's own dlopen, so defer it.
  process.once('exit', () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  });
  const fail = lib.func('int fake_cuda_fail_launches(int count)');
  const launches = lib.func('long long fake_cuda_launches()');
  const live = lib.func('int fake_cuda_live_allocations()');
  return { driver: { path, failLaunches: (c) => void fail(c), launches: () => Number(launches()), liveAllocations: () => live() } };
}
