// The one piece of the pair force both engines must compute bit for bit alike: the direction two
// coincident nodes push each other apart, a hash of their slots (antisymmetric, so momentum is
// conserved). src/gpu/physics.cu has the same function (coincident_dir).

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Writes into `out` a direction for node `i` away from coincident node `j` (components in [-1, 1]). */
export function coincidentDir(i: number, j: number, out: Float64Array): void {
  const a = Math.min(i, j);
  const b = Math.max(i, j);
  const h = fmix32((Math.imul(a, 73856093) ^ Math.imul(b, 19349663)) >>> 0);
  const sign = i < j ? 1 : -1;
  let x = (h & 0x3ff) / 511.5 - 1;
  const y = ((h >>> 10) & 0x3ff) / 511.5 - 1;
  const z = ((h >>> 20) & 0x3ff) / 511.5 - 1;
  if (x * x + y * y + z * z < 0.01) x = 1;
  out[0] = sign * x;
  out[1] = sign * y;
  out[2] = sign * z;
}
