// A deterministic stand-in for the physics actor until it exists: a seeded Barabasi-Albert graph
// laid out by a small d3-force-style simulation in 3D (springs on edges, repulsion within a cut-off
// on a grid, centring, d3's default cooling and velocity decay). Each step() is one 60 Hz frame.
import { mulberry32 } from '../../helpers/mulberry32.ts';

export { mulberry32 };


/** Edges as [source, target] pairs in one Uint32Array; preferential attachment, m edges per node. */
export function barabasiAlbert(n: number, m: number, seed: number): Uint32Array {
  const rand = mulberry32(seed);
  const edges: number[] = [];
  const ends: number[] = []; // every edge end once: sampling from it is sampling by degree
  for (let i = 1; i <= m; i++) {
    edges.push(0, i);
    ends.push(0, i);
  }
  for (let v = m + 1; v < n; v++) {
    const chosen = new Set<number>();
    while (chosen.size < m) chosen.add(ends[Math.floor(rand() * ends.length)]!);
    for (const u of chosen) {
      edges.push(u, v);
      ends.push(u, v);
    }
  }
  return Uint32Array.from(edges);
}

const LINK_DISTANCE = 30;
const CHARGE = -30; // d3 forceManyBody default
const CUTOFF = LINK_DISTANCE;
const VELOCITY_DECAY = 0.4; // d3 default
const ALPHA_DECAY = 1 - Math.pow(0.001, 1 / 300); // d3 default: alpha 1 -> 0.001 in 300 ticks

export class SettlingLayout {
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
  private readonly pos: Float64Array;
  private readonly vel: Float64Array;
  private readonly strength: Float64Array;
  private readonly bias: Float64Array;
  private readonly cellOf: Int32Array;
  private readonly order: Int32Array;
  private cellStart = new Int32Array(1);
  private alpha = 1;

  constructor(
    readonly n: number,
    private readonly edges: Uint32Array,
    seed: number,
  ) {
    const rand = mulberry32(seed ^ 0x9e3779b9);
    this.pos = new Float64Array(3 * n);
    this.vel = new Float64Array(3 * n);
    const radius = 10 * Math.cbrt(n);
    for (let i = 0; i < n; i++) {
      // Uniform in a ball.
      const r = radius * Math.cbrt(rand());
      const z = 2 * rand() - 1;
      const phi = 2 * Math.PI * rand();
      const s = Math.sqrt(1 - z * z);
      this.pos[3 * i] = r * s * Math.cos(phi);
      this.pos[3 * i + 1] = r * s * Math.sin(phi);
      this.pos[3 * i + 2] = r * z;
    }
    const degree = new Uint32Array(n);
    for (const v of edges) degree[v]!++;
    const e = edges.length / 2;
    this.strength = new Float64Array(e);
    this.bias = new Float64Array(e);
    for (let k = 0; k < e; k++) {
      const a = degree[edges[2 * k]!]!, b = degree[edges[2 * k + 1]!]!;
      this.strength[k] = 1 / Math.min(a, b);
      this.bias[k] = a / (a + b);
    }
    this.cellOf = new Int32Array(n);
    this.order = new Int32Array(n);
    this.positions = new Float32Array(3 * n);
    this.velocities = new Float32Array(3 * n);
  }

  step(): void {
    const { pos, vel, edges, n } = this;
    this.alpha += (0 - this.alpha) * ALPHA_DECAY;
    const alpha = this.alpha;
    // Springs (d3 forceLink): pull toward LINK_DISTANCE, shared by degree.
    for (let k = 0; k < edges.length / 2; k++) {
      const s = 3 * edges[2 * k]!, t = 3 * edges[2 * k + 1]!;
      let dx = pos[t]! + vel[t]! - pos[s]! - vel[s]!;
      let dy = pos[t + 1]! + vel[t + 1]! - pos[s + 1]! - vel[s + 1]!;
      let dz = pos[t + 2]! + vel[t + 2]! - pos[s + 2]! - vel[s + 2]!;
      const l = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1e-6;
      const f = ((l - LINK_DISTANCE) / l) * alpha * this.strength[k]!;
      dx *= f;
      dy *= f;
      dz *= f;
      const b = this.bias[k]!;
      vel[t]! -= dx * b;
      vel[t + 1]! -= dy * b;
      vel[t + 2]! -= dz * b;
      vel[s]! += dx * (1 - b);
      vel[s + 1]! += dy * (1 - b);
      vel[s + 2]! += dz * (1 - b);
    }
    this.repel(alpha);
    // Integrate, then centre (d3 forceCenter).
    let cx = 0, cy = 0, cz = 0;
    for (let j = 0; j < 3 * n; j += 3) {
      vel[j]! *= 1 - VELOCITY_DECAY;
      vel[j + 1]! *= 1 - VELOCITY_DECAY;
      vel[j + 2]! *= 1 - VELOCITY_DECAY;
      cx += pos[j]! += vel[j]!;
      cy += pos[j + 1]! += vel[j + 1]!;
      cz += pos[j + 2]! += vel[j + 2]!;
    }
    cx /= n;
    cy /= n;
    cz /= n;
    for (let j = 0; j < 3 * n; j += 3) {
      this.positions[j] = pos[j]! -= cx;
      this.positions[j + 1] = pos[j + 1]! -= cy;
      this.positions[j + 2] = pos[j + 2]! -= cz;
      this.velocities[j] = vel[j]!;
      this.velocities[j + 1] = vel[j + 1]!;
      this.velocities[j + 2] = vel[j + 2]!;
    }
  }

  /**
   * Repulsion between nodes closer than CUTOFF: a dense grid of CUTOFF cells over the bounding box,
   * each pair visited once (own cell, then the 13 neighbour cells of a half shell).
   */
  private repel(alpha: number): void {
    const { pos, vel, n, cellOf, order } = this;
    let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
    for (let j = 0; j < 3 * n; j += 3) {
      x0 = Math.min(x0, pos[j]!);
      x1 = Math.max(x1, pos[j]!);
      y0 = Math.min(y0, pos[j + 1]!);
      y1 = Math.max(y1, pos[j + 1]!);
      z0 = Math.min(z0, pos[j + 2]!);
      z1 = Math.max(z1, pos[j + 2]!);
    }
    const nx = Math.floor((x1 - x0) / CUTOFF) + 1, ny = Math.floor((y1 - y0) / CUTOFF) + 1, nz = Math.floor((z1 - z0) / CUTOFF) + 1;
    const cells = nx * ny * nz;
    if (this.cellStart.length < cells + 1) this.cellStart = new Int32Array(cells + 1);
    const start = this.cellStart;
    start.fill(0, 0, cells + 1);
    for (let i = 0; i < n; i++) {
      const c =
        Math.floor((pos[3 * i]! - x0) / CUTOFF) +
        nx * (Math.floor((pos[3 * i + 1]! - y0) / CUTOFF) + ny * Math.floor((pos[3 * i + 2]! - z0) / CUTOFF));
      cellOf[i] = c;
      start[c + 1]!++;
    }
    for (let c = 0; c < cells; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, cells);
    for (let i = 0; i < n; i++) order[fill[cellOf[i]!]!++] = i;
    const c2 = CUTOFF * CUTOFF;
    const k = CHARGE * alpha;
    const pair = (i: number, j: number): void => {
      const dx = pos[3 * j]! - pos[3 * i]!, dy = pos[3 * j + 1]! - pos[3 * i + 1]!, dz = pos[3 * j + 2]! - pos[3 * i + 2]!;
      let d2 = dx * dx + dy * dy + dz * dz;
      if (d2 >= c2) return;
      if (d2 < 1) d2 = 1; // d3 clamps tiny distances the same way
      const w = k / d2;
      vel[3 * i]! += dx * w;
      vel[3 * i + 1]! += dy * w;
      vel[3 * i + 2]! += dz * w;
      vel[3 * j]! -= dx * w;
      vel[3 * j + 1]! -= dy * w;
      vel[3 * j + 2]! -= dz * w;
    };
    for (let cz = 0; cz < nz; cz++)
      for (let cy = 0; cy < ny; cy++)
        for (let cx = 0; cx < nx; cx++) {
          const c = cx + nx * (cy + ny * cz);
          const s0 = start[c]!, e0 = start[c + 1]!;
          if (s0 === e0) continue;
          for (let p = s0; p < e0; p++) for (let q = p + 1; q < e0; q++) pair(order[p]!, order[q]!);
          for (const [ox, oy, oz] of HALF_SHELL) {
            const x = cx + ox, y = cy + oy, z = cz + oz;
            if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
            const d = x + nx * (y + ny * z);
            for (let p = s0; p < e0; p++) for (let q = start[d]!, e1 = start[d + 1]!; q < e1; q++) pair(order[p]!, order[q]!);
          }
        }
  }
}

/** 13 of the 26 neighbour offsets, one of each opposite pair. */
const HALF_SHELL: ReadonlyArray<readonly [number, number, number]> = (() => {
  const out: [number, number, number][] = [];
  for (let z = -1; z <= 1; z++)
    for (let y = -1; y <= 1; y++)
      for (let x = -1; x <= 1; x++) if (z > 0 || (z === 0 && (y > 0 || (y === 0 && x > 0)))) out.push([x, y, z]);
  return out;
})();
