// The built forms of a kernel source src/gpu/<name>.cu, as `npm run build:kernels` leaves them in
// build/gpu/ (committed, so that a machine without nvcc runs them):
//   <name>.fatbin  cubins for sm_75, sm_80 and sm_90 (each also runs on the later minor versions
//                  of its major: sm_80 on sm_86 and sm_89) and the PTX below, which the driver
//                  JIT-compiles for any newer GPU
//   <name>.ptx     the same PTX alone (ISA 7.0, for sm_75 and up): what a driver that refuses the
//                  fatbin's cubins (older than the toolkit that built them) compiles instead
//   <name>.sha256  the hash of the source they were built from
// Nothing here compiles anything: stale or missing outputs are an error that says to rebuild.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = fileURLToPath(new URL('./', import.meta.url));
export const KERNEL_BUILD_DIR = fileURLToPath(new URL('../../build/gpu/', import.meta.url));

export interface KernelImage {
  readonly name: string;
  readonly format: 'fatbin' | 'ptx';
  /** The file it came from, relative to the repository. */
  readonly file: string;
  /** What cuModuleLoadData takes: the fatbin as is, the PTX with a NUL after it. */
  readonly bytes: Uint8Array;
}

export function sourceHash(name: string): string {
  return createHash('sha256')
    .update(readFileSync(`${SOURCE_DIR}${name}.cu`))
    .digest('hex');
}

/** True when the committed outputs were built from the current source. */
export function kernelsFresh(name: string): boolean {
  return staleness(name) === undefined;
}

function staleness(name: string): string | undefined {
  const hashFile = `${KERNEL_BUILD_DIR}${name}.sha256`;
  for (const ext of ['sha256', 'fatbin', 'ptx']) {
    if (!existsSync(`${KERNEL_BUILD_DIR}${name}.${ext}`)) return `build/gpu/${name}.${ext} is missing`;
  }
  if (readFileSync(hashFile, 'utf8').trim() !== sourceHash(name))
    return `build/gpu/${name}.* were built from another version of src/gpu/${name}.cu`;
  return undefined;
}

/** A PTX text as the driver reads it: it has no length, so it must end in a NUL. */
export function ptxImage(ptx: string | Uint8Array): Uint8Array {
  const bytes = typeof ptx === 'string' ? new TextEncoder().encode(ptx) : ptx;
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The images to try, in order: the fatbin, then the PTX alone. Throws when they are missing or stale. */
export function kernelImages(name: string): KernelImage[] {
  const stale = staleness(name);
  if (stale !== undefined) throw new Error(`${stale}: run npm run build:kernels (needs nvcc) and commit build/gpu/`);
  return [
    { name, format: 'fatbin', file: `build/gpu/${name}.fatbin`, bytes: new Uint8Array(readFileSync(`${KERNEL_BUILD_DIR}${name}.fatbin`)) },
    { name, format: 'ptx', file: `build/gpu/${name}.ptx`, bytes: ptxImage(new Uint8Array(readFileSync(`${KERNEL_BUILD_DIR}${name}.ptx`))) },
  ];
}
