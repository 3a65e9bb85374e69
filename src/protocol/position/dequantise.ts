// Reconstructs positions from 16-bit values: out[3i + a] = min[a] + q[3i + a] * step[a], in
// float64 rounded once to float32 (the formula the encoder's mirror and every decoder share, so
// that what a subscriber holds is known to the bit). Large arrays go through the WebAssembly SIMD
// kernel (dequantise.wat: about 2.5 times the JavaScript loop on a 100k-node keyframe, copies in
// and out included); small ones, and platforms without it, take the JavaScript loop.
import { DEQUANTISE_WASM } from './dequantise-wasm.ts';
import { align16, chooseKernel, ensureMemory, sharedKernel, type KernelPath, type WasmMemory } from './wasm-kernel.ts';

/** Below this many values the call and the copies cost more than the loop saves. */
const WASM_MIN_VALUES = 3 * 4096;

interface DequantiseExports {
  readonly memory: WasmMemory;
  readonly dequantise: (
    q: number,
    count: number,
    out: number,
    mx: number,
    my: number,
    mz: number,
    sx: number,
    sy: number,
    sz: number,
  ) => void;
}

const wasmKernel = sharedKernel<DequantiseExports>(DEQUANTISE_WASM);

/**
 * Writes the positions of q (x, y, z per node) into out; min and step are per axis.
 * `path` is for tests: 'auto' picks by size and platform.
 */
export function dequantiseInto(
  q: Uint16Array,
  mx: number,
  my: number,
  mz: number,
  sx: number,
  sy: number,
  sz: number,
  out: Float32Array,
  path: KernelPath = 'auto',
): void {
  const count = q.length - (q.length % 3);
  if (out.length < count) throw new RangeError(`room for ${out.length} values, ${count} to write`);
  const k = chooseKernel(path, count, WASM_MIN_VALUES, wasmKernel);
  if (k === null) {
    for (let j = 0; j < count; j += 3) {
      out[j] = mx + q[j]! * sx;
      out[j + 1] = my + q[j + 1]! * sy;
      out[j + 2] = mz + q[j + 2]! * sz;
    }
    return;
  }
  const outAt = align16(2 * count);
  ensureMemory(k.memory, outAt + 4 * count);
  const buffer = k.memory.buffer;
  new Uint16Array(buffer, 0, count).set(q.subarray(0, count));
  k.dequantise(0, count, outAt, mx, my, mz, sx, sy, sz);
  out.set(new Float32Array(buffer, outAt, count));
}
