// The arrays one simulation step reads and writes, in the struct-of-arrays form both engines use:
// the CPU workers see them through SharedArrayBuffers, the GPU engine copies them to device memory.
// Node i is slot i (0..n-1); springs are a CSR adjacency: the springs of node i are entries
// springStart[i] .. springStart[i+1]-1, each undirected edge listed from both ends.
import type { PhysicsParams } from './params.ts';

export interface SimBuffers {
  /** Bumped whenever the arrays are reallocated (capacity grew): engines rebind. */
  readonly generation: number;
  readonly capacity: number;
  readonly springCapacity: number;
  /** x, y, z per node. */
  readonly pos: Float32Array;
  readonly vel: Float32Array;
  readonly charge: Float32Array;
  readonly mass: Float32Array;
  /** Centring spring constant per node (already multiplied by mass). */
  readonly gravity: Float32Array;
  /** 1 = pinned: the node does not move; its velocity stays 0. */
  readonly pinned: Uint8Array;
  /** Position constraint per node: x, y, z, stiffness (0 = none). */
  readonly anchor: Float32Array;
  readonly springStart: Int32Array;
  readonly springTo: Int32Array;
  readonly springK: Float32Array;
  /** A spring pulls when longer than hi and pushes when shorter than lo (lo = hi: plain Hooke). */
  readonly springLo: Float32Array;
  readonly springHi: Float32Array;
}

/** The scalars of one step, eased parameters and the current temperature. */
export interface StepGlobals {
  readonly n: number;
  readonly repulsion: number;
  readonly theta: number;
  readonly softening: number;
  readonly timeStep: number;
  readonly damping: number;
  readonly maxForce: number;
  readonly maxVelocity: number;
  readonly alpha: number;
  readonly boundRadius: number;
  readonly boundStiffness: number;
}

/** The per-step globals for parameters `p`, n nodes and the current temperature. */
export function stepGlobals(p: PhysicsParams, n: number, alpha = 1): StepGlobals {
  return {
    n,
    repulsion: p.repulsion,
    theta: p.theta,
    softening: p.softening,
    timeStep: p.timeStep,
    damping: p.damping,
    maxForce: p.maxForce,
    maxVelocity: p.maxVelocity,
    alpha,
    boundRadius: p.boundRadius,
    boundStiffness: p.boundStiffness,
  };
}

export interface StepStats {
  /** Largest speed of any node after the step (distance per unit time). */
  readonly maxSpeed: number;
  /** Sum of squared speeds (a kinetic energy with unit masses). */
  readonly sumSpeed2: number;
  /** Wall-clock milliseconds the step took, as the engine measured it. */
  readonly ms: number;
}

export function allocSimBuffers(capacity: number, springCapacity: number, generation: number): SimBuffers {
  const f32 = (len: number): Float32Array => new Float32Array(new SharedArrayBuffer(Math.max(1, len) * 4));
  const i32 = (len: number): Int32Array => new Int32Array(new SharedArrayBuffer(Math.max(1, len) * 4));
  return {
    generation,
    capacity,
    springCapacity,
    pos: f32(3 * capacity),
    vel: f32(3 * capacity),
    charge: f32(capacity),
    mass: f32(capacity),
    gravity: f32(capacity),
    pinned: new Uint8Array(new SharedArrayBuffer(Math.max(1, capacity))),
    anchor: f32(4 * capacity),
    springStart: i32(capacity + 1),
    springTo: i32(springCapacity),
    springK: f32(springCapacity),
    springLo: f32(springCapacity),
    springHi: f32(springCapacity),
  };
}

/** Globals as a Float64Array (the layout workers read from shared memory). */
export const GLOBAL_FIELDS = [
  'n',
  'repulsion',
  'theta',
  'softening',
  'timeStep',
  'damping',
  'maxForce',
  'maxVelocity',
  'alpha',
  'boundRadius',
  'boundStiffness',
] as const satisfies readonly (keyof StepGlobals)[];

export function writeGlobals(target: Float64Array, g: StepGlobals): void {
  GLOBAL_FIELDS.forEach((key, i) => (target[i] = g[key]));
}

export function readGlobals(source: Float64Array): StepGlobals {
  const out: Record<string, number> = {};
  GLOBAL_FIELDS.forEach((key, i) => (out[key] = source[i]!));
  return out as unknown as StepGlobals;
}
