// Semi-implicit Euler with caps, over a slot range. For node i with total force F (repulsion +
// local), mass m, temperature alpha:
//     F <- F capped to maxForce (a non-finite F counts as 0)
//     v <- (v + alpha F / m dt) (1 - damping), capped to maxVelocity
//     x <- x + v dt
// A pinned node keeps its position and a zero velocity. Whatever happens, positions and
// velocities stay finite: a non-finite result keeps the old position and zeroes the velocity.
import type { SimBuffers, StepGlobals } from '../buffers.ts';

/** Integrates slots [i0, i1); returns [max speed, sum of squared speeds] through `stats`. */
export function integrate(
  b: SimBuffers,
  g: StepGlobals,
  i0: number,
  i1: number,
  rep: Float64Array,
  loc: Float64Array,
  stats: Float64Array,
): void {
  const { pos, vel, mass, pinned } = b;
  const dt = g.timeStep;
  const keep = 1 - g.damping;
  const maxF = g.maxForce;
  const maxV = g.maxVelocity;
  const alpha = g.alpha;
  let maxV2 = 0;
  let sumV2 = 0;
  for (let i = i0; i < i1; i++) {
    const k = 3 * i;
    if (pinned[i] === 1) {
      vel[k] = 0;
      vel[k + 1] = 0;
      vel[k + 2] = 0;
      continue;
    }
    let fx = rep[k]! + loc[k]!;
    let fy = rep[k + 1]! + loc[k + 1]!;
    let fz = rep[k + 2]! + loc[k + 2]!;
    const f2 = fx * fx + fy * fy + fz * fz;
    if (!(f2 <= maxF * maxF)) {
      const s = Number.isFinite(f2) ? maxF / Math.sqrt(f2) : 0;
      fx = s === 0 ? 0 : fx * s;
      fy = s === 0 ? 0 : fy * s;
      fz = s === 0 ? 0 : fz * s;
    }
    const a = (alpha * dt) / mass[i]!;
    let vx = (vel[k]! + fx * a) * keep;
    let vy = (vel[k + 1]! + fy * a) * keep;
    let vz = (vel[k + 2]! + fz * a) * keep;
    let v2 = vx * vx + vy * vy + vz * vz;
    if (!(v2 <= maxV * maxV)) {
      const s = Number.isFinite(v2) ? maxV / Math.sqrt(v2) : 0;
      vx = s === 0 ? 0 : vx * s;
      vy = s === 0 ? 0 : vy * s;
      vz = s === 0 ? 0 : vz * s;
      v2 = vx * vx + vy * vy + vz * vz;
    }
    const x = pos[k]! + vx * dt;
    const y = pos[k + 1]! + vy * dt;
    const z = pos[k + 2]! + vz * dt;
    if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) && Math.abs(x) < 1e30 && Math.abs(y) < 1e30 && Math.abs(z) < 1e30) {
      pos[k] = x;
      pos[k + 1] = y;
      pos[k + 2] = z;
      vel[k] = vx;
      vel[k + 1] = vy;
      vel[k + 2] = vz;
    } else {
      vel[k] = 0;
      vel[k + 1] = 0;
      vel[k + 2] = 0;
      v2 = 0;
    }
    if (v2 > maxV2) maxV2 = v2;
    sumV2 += v2;
  }
  stats[0] = Math.sqrt(maxV2);
  stats[1] = sumV2;
}
