// Loading the position stream's WebAssembly kernels (assembled from *.wat by `npm run gen:wasm`
// and carried as base64). A platform without WebAssembly SIMD gets null, and the caller keeps to
// its JavaScript path, which computes the same values.

// The slice of the WebAssembly API used here, typed locally: the project's lib (ES2022 + node)
// does not declare the WebAssembly namespace, and the browser bundle must not depend on Node's.
export interface WasmModule {
  readonly kind?: 'module';
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
}

export const WASM_PAGE = 65536;

const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The compiled module, or null where WebAssembly (with SIMD) is not available. */
export function compileKernel(base64: string): WasmModule | null {
  const wasm = wasmApi();
  if (wasm === undefined) return null;
  try {
    return new wasm.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** A fresh instance's exports (each instance has its own memory). */
export function instantiate<Exports extends object>(module: WasmModule): Exports {
  return new (wasmApi()!.Instance)(module, {}).exports as Exports;
}

/**
 * One instance of a kernel for this thread, made on first use (null where the platform cannot run
 * it). Calls are synchronous, so a single instance's memory serves as scratch space for all of them.
 */
export function sharedKernel<Exports extends object>(base64: string): () => Exports | null {
  let kernel: Exports | null | undefined;
  return () => {
    if (kernel === undefined) {
      const module = compileKernel(base64);
      kernel = module === null ? null : instantiate<Exports>(module);
    }
    return kernel;
  };
}

/** Where a hot loop runs: WebAssembly where the platform has it and the work is big enough
 * ('auto'), or the path asked for (tests hold the two to the same answers). */
export type KernelPath = 'auto' | 'wasm' | 'js';

/**
 * The kernel to run `size` values of work on, or null for the JavaScript loop: 'auto' takes the
 * kernel from `minSize` values up where the platform has it; 'wasm' insists on it.
 */
export function chooseKernel<Exports>(path: KernelPath, size: number, minSize: number, kernel: () => Exports | null): Exports | null {
  if (path === 'js' || (path === 'auto' && size < minSize)) return null;
  const k = kernel();
  if (k === null && path === 'wasm') throw new Error('WebAssembly SIMD is not available on this platform');
  return k;
}

/** Grows `memory` to hold at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
}

/** Regions in a kernel's memory start 16-byte aligned. */
export const align16 = (bytes: number): number => (bytes + 15) & ~15;
