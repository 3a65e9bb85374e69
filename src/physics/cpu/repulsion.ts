// The repulsion pass: Barnes-Hut with one traversal per leaf (Barnes 1990's grouped variant).
// For a leaf G with bounding sphere (centre c, radius rG), a node N of size s and centre of charge
// p is taken as one body for all of G when s < theta * (|p - c| - rG): every member of G is at
// least that far from p, so each sees the opening criterion s / d < theta met. Otherwise N is
// opened, and a leaf that must be opened contributes its members one by one. The accepted bodies
// and leaves form an interaction list, then every member of G sums over it in a tight loop.
// With theta = 0 nothing is accepted and the result is the exact O(n^2) sum.
//
// Pair force on i from j (charges q, strength k, softening eps):
//     F = k q_i q_j (x_i - x_j) / (|x_i - x_j|^2 + eps^2)^(3/2)
// and for two nodes at exactly the same point, x_i - x_j is replaced by eps * coincidentDir(i, j).
import { coincidentDir } from '../pair.ts';
import { F_Q, F_SIZE, F_X, F_Y, F_Z, I_END, I_LEAF, I_NEXT, I_START, type TreeBuffers } from './tree.ts';

/** Per-thread scratch: the interaction list of the current group. */
export class InteractionList {
  bx: Float64Array = new Float64Array(1024);
  by: Float64Array = new Float64Array(1024);
  bz: Float64Array = new Float64Array(1024);
  bq: Float64Array = new Float64Array(1024);
  bodies = 0;
  /** Leaves to sum member by member: [start, end) ranges of sorted indices. */
  ranges: Int32Array = new Int32Array(512);
  readonly dir = new Float64Array(3);

  growRanges(): Int32Array {
    const r = new Int32Array(this.ranges.length * 2);
    r.set(this.ranges);
    this.ranges = r;
    return r;
  }

  growBodies(): void {
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.bx = grow(this.bx);
    this.by = grow(this.by);
    this.bz = grow(this.bz);
    this.bq = grow(this.bq);
  }
}

export interface RepulsionParams {
  readonly repulsion: number;
  readonly theta: number;
  readonly softening: number;
}

/**
 * Repulsion on the members of leaf groups [g0, g1) of `tree.leaves`, written to `out` (x, y, z per
 * slot). Groups are independent: any split of them over threads gives the same numbers.
 */
export function repulseGroups(
  tree: TreeBuffers,
  g0: number,
  g1: number,
  p: RepulsionParams,
  out: Float64Array,
  list: InteractionList,
): void {
  const { nodeI, nodeF, leaves, sx, sy, sz, sq, order } = tree;
  const nodeCount = tree.counts[0]!;
  // theta = 0: nothing is ever far enough (reach is Infinity), the sum is exact.
  const invTheta = p.theta > 0 ? 1 / p.theta : Infinity;
  const eps2 = p.softening * p.softening;
  const k = p.repulsion;
  for (let g = g0; g < g1; g++) {
    const leaf = leaves[g]!;
    const start = nodeI[4 * leaf + I_START]!;
    const end = nodeI[4 * leaf + I_END]!;
    // The group's bounding sphere.
    let minX = Infinity;
    let minY = Infinity;
    let minZ = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    let maxZ = -Infinity;
    for (let t = start; t < end; t++) {
      const x = sx[t]!;
      const y = sy[t]!;
      const z = sz[t]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (z < minZ) minZ = z;
      if (z > maxZ) maxZ = z;
    }
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    const cz = (minZ + maxZ) / 2;
    const rG = Math.sqrt((maxX - minX) ** 2 + (maxY - minY) ** 2 + (maxZ - minZ) ** 2) / 2;

    let bx = list.bx;
    let by = list.by;
    let bz = list.bz;
    let bq = list.bq;
    let ranges = list.ranges;
    let bodies = 0;
    let rangeCount = 0;
    let node = 0;
    while (node < nodeCount) {
      const f = 5 * node;
      const q = nodeF[f + F_Q]!;
      const next = nodeI[4 * node + I_NEXT]!;
      if (q === 0) {
        node = next;
        continue;
      }
      const px = nodeF[f + F_X]!;
      const py = nodeF[f + F_Y]!;
      const pz = nodeF[f + F_Z]!;
      const dx = px - cx;
      const dy = py - cy;
      const dz = pz - cz;
      // s < theta (d - rG)  <=>  d > s / theta + rG (no square root). Never an ancestor of the
      // group (or the group itself): it holds the group.
      const reach = nodeF[f + F_SIZE]! * invTheta + rG;
      if (dx * dx + dy * dy + dz * dz > reach * reach && (leaf < node || leaf >= next)) {
        if (bodies === bx.length) {
          list.bodies = bodies;
          list.growBodies();
          ({ bx, by, bz, bq } = list);
        }
        bx[bodies] = px;
        by[bodies] = py;
        bz[bodies] = pz;
        bq[bodies] = q;
        bodies++;
        node = next;
        continue;
      }
      if (nodeI[4 * node + I_LEAF] === 1) {
        if (2 * rangeCount + 2 > ranges.length) ranges = list.growRanges();
        ranges[2 * rangeCount] = nodeI[4 * node + I_START]!;
        ranges[2 * rangeCount + 1] = nodeI[4 * node + I_END]!;
        rangeCount++;
        node = next;
      } else {
        node++;
      }
    }

    const dir = list.dir;
    for (let t = start; t < end; t++) {
      const xi = sx[t]!;
      const yi = sy[t]!;
      const zi = sz[t]!;
      let fx = 0;
      let fy = 0;
      let fz = 0;
      for (let b = 0; b < bodies; b++) {
        const dx = xi - bx[b]!;
        const dy = yi - by[b]!;
        const dz = zi - bz[b]!;
        const r2 = dx * dx + dy * dy + dz * dz + eps2;
        const w = bq[b]! / (r2 * Math.sqrt(r2));
        fx += dx * w;
        fy += dy * w;
        fz += dz * w;
      }
      for (let r = 0; r < rangeCount; r++) {
        for (let u = ranges[2 * r]!, uEnd = ranges[2 * r + 1]!; u < uEnd; u++) {
          if (u === t) continue;
          let dx = xi - sx[u]!;
          let dy = yi - sy[u]!;
          let dz = zi - sz[u]!;
          let d2 = dx * dx + dy * dy + dz * dz;
          if (d2 === 0) {
            coincidentDir(order[t]!, order[u]!, dir);
            dx = dir[0]! * p.softening;
            dy = dir[1]! * p.softening;
            dz = dir[2]! * p.softening;
            d2 = dx * dx + dy * dy + dz * dz;
          }
          const r2 = d2 + eps2;
          const w = sq[u]! / (r2 * Math.sqrt(r2));
          fx += dx * w;
          fy += dy * w;
          fz += dz * w;
        }
      }
      const s = order[t]!;
      const kq = k * sq[t]!;
      out[3 * s] = fx * kq;
      out[3 * s + 1] = fy * kq;
      out[3 * s + 2] = fz * kq;
    }
  }
}
