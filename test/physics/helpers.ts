// Shared fixtures of the physics tests: layouts from generated graphs, step globals from params,
// an exact (theta = 0) reference, and an actor harness on the virtual clock.
export { stepGlobals } from '../../src/physics/buffers.ts';
import { barabasiAlbert, toTopology } from '../../src/physics/generators.ts';
import { Layout } from '../../src/physics/layout.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';

/** A Barabasi-Albert (m = 2) layout of n nodes, positions from the seed. */
export function baLayout(n: number, seed = 1): Layout {
  const random = mulberry32(seed);
  const g = toTopology(barabasiAlbert(n, 2, random));
  const layout = new Layout(random, 10);
  layout.addNodes(g.nodes);
  layout.addEdges(g.edges);
  return layout;
}

export function allFinite(a: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array, len: number): number {
  let m = 0;
  for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function extent(a: Float32Array, len: number): number {
  let m = 0;
  for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
