// The forces that need no tree, per node over a slot range: springs (Hooke, with a dead band
// [lo, hi] for distance constraints), centring gravity, position constraints (anchors) and the
// soft spherical bound. Written to `out` (x, y, z per slot); reads positions only.
import type { SimBuffers, StepGlobals } from '../buffers.ts';

export function localForces(b: SimBuffers, g: StepGlobals, i0: number, i1: number, out: Float64Array): void {
  const { pos, springStart, springTo, springK, springLo, springHi, gravity, anchor, mass } = b;
  const boundR = g.boundRadius;
  const boundK = g.boundStiffness;
  for (let i = i0; i < i1; i++) {
    const xi = pos[3 * i]!;
    const yi = pos[3 * i + 1]!;
    const zi = pos[3 * i + 2]!;
    let fx = 0;
    let fy = 0;
    let fz = 0;
    for (let e = springStart[i]!, end = springStart[i + 1]!; e < end; e++) {
      const j = springTo[e]!;
      const dx = pos[3 * j]! - xi;
      const dy = pos[3 * j + 1]! - yi;
      const dz = pos[3 * j + 2]! - zi;
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (r === 0) continue; // no direction: repulsion separates them first
      const hi = springHi[e]!;
      const lo = springLo[e]!;
      const stretch = r > hi ? r - hi : r < lo ? r - lo : 0;
      if (stretch === 0) continue;
      const w = (springK[e]! * stretch) / r;
      fx += dx * w;
      fy += dy * w;
      fz += dz * w;
    }
    const gi = gravity[i]!;
    fx -= gi * xi;
    fy -= gi * yi;
    fz -= gi * zi;
    const ak = anchor[4 * i + 3]!;
    if (ak > 0) {
      fx -= ak * (xi - anchor[4 * i]!);
      fy -= ak * (yi - anchor[4 * i + 1]!);
      fz -= ak * (zi - anchor[4 * i + 2]!);
    }
    if (boundR > 0) {
      const r = Math.sqrt(xi * xi + yi * yi + zi * zi);
      if (r > boundR) {
        const w = (boundK * mass[i]! * (r - boundR)) / r;
        fx -= xi * w;
        fy -= yi * w;
        fz -= zi * w;
      }
    }
    out[3 * i] = fx;
    out[3 * i + 1] = fy;
    out[3 * i + 2] = fz;
  }
}
