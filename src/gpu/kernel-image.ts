// Finds the compiled form of a kernel source src/gpu/<name>.cu for a device: the sm_90 cubin on
// Hopper (compute capability 9.x), the PTX (JIT-compiled by the driver) elsewhere. The outputs are
// committed in src/gpu/kernels/ with the hash of the source they came from; when they are missing
// or stale and nvcc is at hand, they are rebuilt first (scripts/build-kernels.mjs).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const GPU_DIR = fileURLToPath(new URL('./', import.meta.url));
const KERNEL_DIR = fileURLToPath(new URL('./kernels/', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-kernels.mjs', import.meta.url));

export interface KernelImage {
  readonly name: string;
  readonly format: 'cubin' | 'ptx';
  readonly path: string;
  readonly bytes: Uint8Array;
}

export function sourceHash(name: string): string {
  return createHash('sha256')
    .update(readFileSync(`${GPU_DIR}${name}.cu`))
    .digest('hex');
}

/** True when the committed outputs were built from the current source. */
export function kernelsFresh(name: string): boolean {
  const hashFile = `${KERNEL_DIR}${name}.sha256`;
  return (
    existsSync(hashFile) &&
    readFileSync(hashFile, 'utf8').trim() === sourceHash(name) &&
    existsSync(`${KERNEL_DIR}${name}.ptx`) &&
    existsSync(`${KERNEL_DIR}${name}.sm_90.cubin`)
  );
}

export function kernelImage(name: string, computeCapability: readonly [number, number]): KernelImage {
  if (!kernelsFresh(name)) {
    try {
      execFileSync(process.execPath, [BUILD_SCRIPT, name], { stdio: 'pipe' });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`kernels for ${name}.cu are missing or stale and could not be rebuilt (npm run build:kernels): ${detail}`);
    }
  }
  const hopper = computeCapability[0] === 9;
  const path = hopper ? `${KERNEL_DIR}${name}.sm_90.cubin` : `${KERNEL_DIR}${name}.ptx`;
  return { name, format: hopper ? 'cubin' : 'ptx', path, bytes: new Uint8Array(readFileSync(path)) };
}
