// A keyframe's one pass over every node: 16-bit values against a box, the tight box of the
// positions, and whether all of them lie within a check box. Large frames go through the
// WebAssembly SIMD kernel (quantise.wat), the rest and platforms without it through the
// JavaScript loop; both compute q = trunc((p - min) * scale + 0.5) in float64 and keep a NaN out
// of the box and out of "inside", so their answers are the same wherever they are used (values
// outside the quantisation box are garbage either way and are redone by the caller).
import { QUANTISE_WASM } from './quantise-wasm.ts';
import { Q_MAX } from './quantise.ts';
import { align16, chooseKernel, ensureMemory, sharedKernel, type KernelPath, type WasmMemory } from './wasm-kernel.ts';

/** Below this many values the copies cost more than the kernel saves. */
const WASM_MIN_VALUES = 3 * 4096;
const STEP = 12;

interface QuantiseExports {
  readonly memory: WasmMemory;
  readonly quantise: (
    pos: number,
    count: number,
    q: number,
    acc: number,
    mx: number,
    my: number,
    mz: number,
    sx: number,
    sy: number,
    sz: number,
    lx: number,
    ly: number,
    lz: number,
    hx: number,
    hy: number,
    hz: number,
  ) => number;
}

const wasmKernel = sharedKernel<QuantiseExports>(QUANTISE_WASM);

export interface QuantisePass {
  /** Every value was within the check box (and none was NaN). */
  readonly inside: boolean;
  /** min x, y, z then max x, y, z of the values (Infinity / -Infinity where none were numbers). */
  readonly tight: Float64Array;
}

/**
 * Quantises v (x, y, z per node) against `box` into q, measuring the tight box and checking
 * every value against `check` (often the same box).
 */
export function quantisePass(
  v: Float32Array,
  box: Float64Array,
  check: Float64Array,
  q: Uint16Array,
  path: KernelPath = 'auto',
): QuantisePass {
  const count = v.length - (v.length % 3);
  const mx = box[0]!,
    my = box[1]!,
    mz = box[2]!;
  const ex = box[3]! - mx,
    ey = box[4]! - my,
    ez = box[5]! - mz;
  const sx = ex > 0 ? Q_MAX / ex : 0,
    sy = ey > 0 ? Q_MAX / ey : 0,
    sz = ez > 0 ? Q_MAX / ez : 0;
  const tight = Float64Array.of(Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity);
  const k = chooseKernel(path, count, WASM_MIN_VALUES, wasmKernel);
  let done = 0;
  let inside = true;
  if (k !== null) {
    done = count - (count % STEP);
    const qAt = align16(4 * done);
    const accAt = align16(qAt + 2 * done);
    ensureMemory(k.memory, accAt + 96);
    const buffer = k.memory.buffer;
    new Float32Array(buffer, 0, done).set(v.subarray(0, done));
    inside =
      k.quantise(0, done, qAt, accAt, mx, my, mz, sx, sy, sz, check[0]!, check[1]!, check[2]!, check[3]!, check[4]!, check[5]!) === 1;
    q.set(new Uint16Array(buffer, qAt, done));
    // Lane j of accumulator vector r holds values whose index is 4r + j (mod 12): axis (4r + j) % 3.
    const acc = new Float32Array(buffer, accAt, 24);
    for (let lane = 0; lane < 12; lane++) {
      const a = lane % 3;
      const lo = acc[lane]!,
        hi = acc[12 + lane]!;
      if (lo < tight[a]!) tight[a] = lo;
      if (hi > tight[a + 3]!) tight[a + 3] = hi;
    }
  }
  // The JavaScript loop: everything on the fallback, the last count % 12 values after the kernel.
  const lx = check[0]!,
    ly = check[1]!,
    lz = check[2]!,
    hx = check[3]!,
    hy = check[4]!,
    hz = check[5]!;
  let x0 = tight[0]!,
    y0 = tight[1]!,
    z0 = tight[2]!,
    x1 = tight[3]!,
    y1 = tight[4]!,
    z1 = tight[5]!;
  for (let j = done; j < count; j += 3) {
    const x = v[j]!,
      y = v[j + 1]!,
      z = v[j + 2]!;
    inside = inside && x >= lx && x <= hx && y >= ly && y <= hy && z >= lz && z <= hz;
    x0 = x < x0 ? x : x0;
    x1 = x > x1 ? x : x1;
    y0 = y < y0 ? y : y0;
    y1 = y > y1 ? y : y1;
    z0 = z < z0 ? z : z0;
    z1 = z > z1 ? z : z1;
    q[j] = ((x - mx) * sx + 0.5) | 0;
    q[j + 1] = ((y - my) * sy + 0.5) | 0;
    q[j + 2] = ((z - mz) * sz + 0.5) | 0;
  }
  tight[0] = x0;
  tight[1] = y0;
  tight[2] = z0;
  tight[3] = x1;
  tight[4] = y1;
  tight[5] = z1;
  return { inside, tight };
}
