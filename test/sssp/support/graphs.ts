// Seeded graphs for the SSSP tests and benchmark, as parallel arrays of node ids (0..n-1).
import { mulberry32 } from '../../helpers/mulberry32.ts';

export interface ArrayGraph {
  readonly n: number;
  readonly nodeIds: Uint32Array;
  readonly source: Uint32Array;
  readonly target: Uint32Array;
  readonly weight: Float64Array;
}

function ids(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => i);
}

function weights(m: number, random: () => number, integer: boolean): Float64Array {
  const w = new Float64Array(m);
  for (let k = 0; k < m; k++) w[k] = integer ? 1 + Math.floor(random() * 100) : 1 + random() * 99;
  return w;
}

/** Barabasi-Albert preferential attachment: each new node links to `m` distinct earlier nodes. */
export function barabasiAlbert(n: number, m: number, seed: number, integer = false): ArrayGraph {
  const random = mulberry32(seed);
  const edges = Math.max(0, (n - m) * m);
  const source = new Uint32Array(edges);
  const target = new Uint32Array(edges);
  // Every edge endpoint, so that a uniform pick is a degree-proportional pick.
  const ends = new Uint32Array(2 * edges + m);
  let endCount = 0;
  for (let i = 0; i < m; i++) ends[endCount++] = i;
  let k = 0;
  const chosen = new Set<number>();
  for (let v = m; v < n; v++) {
    chosen.clear();
    while (chosen.size < m) chosen.add(ends[Math.floor(random() * endCount)]!);
    for (const u of chosen) {
      source[k] = v;
      target[k] = u;
      k++;
      ends[endCount++] = u;
      ends[endCount++] = v;
    }
  }
  return { n, nodeIds: ids(n), source, target, weight: weights(edges, random, integer) };
}

/** Uniform random graph with average degree `degree` (n * degree / 2 edges, no self-loops). */
export function uniformRandom(n: number, degree: number, seed: number, integer = false): ArrayGraph {
  const random = mulberry32(seed);
  const edges = Math.floor((n * degree) / 2);
  const source = new Uint32Array(edges);
  const target = new Uint32Array(edges);
  for (let k = 0; k < edges; k++) {
    const u = Math.floor(random() * n);
    let v = Math.floor(random() * (n - 1));
    if (v >= u) v++;
    source[k] = u;
    target[k] = v;
  }
  return { n, nodeIds: ids(n), source, target, weight: weights(edges, random, integer) };
}

/**
 * A road-like graph: a width x height grid, each node joined to its right and lower neighbours,
 * weights uniform in [1, 100) (integers with `integer`). Shortest paths cross it in about
 * width + height hops, which is what makes road networks hard for frontier-parallel SSSP.
 */
export function roadGrid(width: number, height: number, seed: number, integer = false): ArrayGraph {
  const random = mulberry32(seed);
  const n = width * height;
  const edges = (width - 1) * height + width * (height - 1);
  const source = new Uint32Array(edges);
  const target = new Uint32Array(edges);
  let k = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = y * width + x;
      if (x + 1 < width) {
        source[k] = u;
        target[k++] = u + 1;
      }
      if (y + 1 < height) {
        source[k] = u;
        target[k++] = u + width;
      }
    }
  }
  return { n, nodeIds: ids(n), source, target, weight: weights(edges, random, integer) };
}
