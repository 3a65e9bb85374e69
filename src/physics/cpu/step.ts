// One CPU step as a program for W participants (W = 1: the serial engine; W > 1: worker threads
// over shared memory). Phases, separated by barriers:
//   A. participant 0 builds the octree while the others take chunks of the local forces (springs,
//      gravity, constraints, bounds) from a shared counter; participant 0 joins them when done;
//   B. everyone takes chunks of leaf groups from a shared counter and computes their repulsion;
//   C. everyone integrates its own slice of slots.
// Each force is computed by exactly one participant from the same inputs, so the result does not
// depend on W or on who took which chunk: the worker engine equals the serial one bit for bit.
import { allocTree, buildTree, type TreeBuffers } from './tree.ts';
import type { InteractionList } from './repulsion.ts';
import { repulseGroups } from './repulsion.ts';
import { localForces } from './local-forces.ts';
import { integrate } from './integrate.ts';
import { readGlobals, type SimBuffers } from '../buffers.ts';

/** Control words in `ctl`. */
export const CTL_BARRIER_COUNT = 0;
export const CTL_BARRIER_GEN = 1;
export const CTL_CHUNK = 2;
export const CTL_LOCAL_CHUNK = 3;
export const CTL_WORDS = 4;
/** Slots of per-participant stats in `stats`. */
export const STATS_STRIDE = 2;

export interface StepShared {
  readonly sim: SimBuffers;
  readonly tree: TreeBuffers;
  /** Repulsion and local forces, x, y, z per slot. */
  readonly rep: Float64Array;
  readonly loc: Float64Array;
  readonly globals: Float64Array;
  readonly ctl: Int32Array;
  readonly stats: Float64Array;
}

export function allocStepShared(sim: SimBuffers, participants: number, globals: Float64Array): StepShared {
  const cap = sim.capacity;
  return {
    sim,
    tree: allocTree(cap),
    rep: new Float64Array(new SharedArrayBuffer(24 * cap)),
    loc: new Float64Array(new SharedArrayBuffer(24 * cap)),
    globals,
    ctl: new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS)),
    stats: new Float64Array(new SharedArrayBuffer(8 * STATS_STRIDE * participants)),
  };
}

/** A reusable barrier over the control words; W = 1 needs none. */
export function barrierFor(ctl: Int32Array, participants: number): () => void {
  if (participants === 1) return () => undefined;
  return () => {
    const gen = Atomics.load(ctl, CTL_BARRIER_GEN);
    if (Atomics.add(ctl, CTL_BARRIER_COUNT, 1) === participants - 1) {
      Atomics.store(ctl, CTL_BARRIER_COUNT, 0);
      Atomics.add(ctl, CTL_BARRIER_GEN, 1);
      Atomics.notify(ctl, CTL_BARRIER_GEN);
    } else {
      while (Atomics.load(ctl, CTL_BARRIER_GEN) === gen) Atomics.wait(ctl, CTL_BARRIER_GEN, gen);
    }
  };
}

function slice(n: number, w: number, parts: number): [number, number] {
  return [Math.floor((n * w) / parts), Math.floor((n * (w + 1)) / parts)];
}

/** Participant `w` of `W` runs its part of the step; the caller reset the chunk counters beforehand. */
export function runStep(sh: StepShared, w: number, W: number, barrier: () => void, list: InteractionList): void {
  const g = readGlobals(sh.globals);
  const n = g.n;
  const { sim, tree } = sh;
  if (w === 0) buildTree(sim.pos, sim.charge, n, tree);
  const localChunk = Math.max(256, Math.ceil(n / (W * 16)));
  for (;;) {
    const i0 = Atomics.add(sh.ctl, CTL_LOCAL_CHUNK, 1) * localChunk;
    if (i0 >= n) break;
    localForces(sim, g, i0, Math.min(n, i0 + localChunk), sh.loc);
  }
  barrier();
  const leafCount = tree.counts[1]!;
  const chunk = Math.max(1, Math.ceil(leafCount / (W * 24)));
  for (;;) {
    const c = Atomics.add(sh.ctl, CTL_CHUNK, 1);
    const g0 = c * chunk;
    if (g0 >= leafCount) break;
    repulseGroups(tree, g0, Math.min(leafCount, g0 + chunk), g, sh.rep, list);
  }
  barrier();
  const [a, b] = slice(n, w, W);
  integrate(sim, g, a, b, sh.rep, sh.loc, sh.stats.subarray(STATS_STRIDE * w, STATS_STRIDE * w + STATS_STRIDE));
}

/** Merges the participants' stats: [max speed, sum of squared speeds]. */
export function mergeStats(stats: Float64Array, W: number): { maxSpeed: number; sumSpeed2: number } {
  let maxSpeed = 0;
  let sumSpeed2 = 0;
  for (let w = 0; w < W; w++) {
    maxSpeed = Math.max(maxSpeed, stats[STATS_STRIDE * w]!);
    sumSpeed2 += stats[STATS_STRIDE * w + 1]!;
  }
  return { maxSpeed, sumSpeed2 };
}
