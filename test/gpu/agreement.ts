// Shared CPU/GPU agreement cases, run against the emulated driver (always, where g++ exists) and
// against a real GPU (where one is present). The stated tolerances:
//   exact repulsion (theta = 0): after 5 steps every coordinate agrees within 1e-4 x the layout's
//     extent (float32 on the GPU vs float32 storage with float64 arithmetic on the CPU);
//   Barnes-Hut (theta = 1): each engine's one-step displacement is within 8% (rms, relative) of the
//     exact one (the CPU groups by octree leaves, the GPU traverses a radix tree per node, so the
//     two approximations differ from each other by about as much as each differs from the exact).
//     The displacement sums repulsion and springs, which nearly cancel in a laid-out graph, so this
//     is a much larger figure than the error of the repulsion alone (1-3%).
import type { ExecutionContext } from 'ava';
import { SerialEngine } from '../../src/physics/cpu/serial-engine.ts';
import type { PhysicsEngine } from '../../src/physics/engine.ts';
import type { Layout } from '../../src/physics/layout.ts';
import { applyPatch, DEFAULT_PARAMS, type PhysicsParams } from '../../src/physics/params.ts';
import { baLayout, extent, stepGlobals, maxAbsDiff } from '../physics/helpers.ts';

export const EXACT_TOLERANCE = 1e-4;
export const BH_TOLERANCE = 0.08;

/** A layout with every feature the kernels handle: agents, pins, anchors, constraints, coincident nodes. */
export function richLayout(n: number, seed: number): Layout {
  const layout = baLayout(n, seed);
  layout.addNodes([
    { id: 100_000, kind: 'agent', position: { x: 1, y: 1, z: 1 } },
    { id: 100_001, kind: 'agent', position: { x: 1, y: 1, z: 1 } },
  ]);
  layout.addEdges([
    { id: 900_000n, source: 100_000, target: 0, weight: 1e12 },
    { id: 900_001n, source: 100_001, target: 100_000, weight: 0 },
  ]);
  layout.pin(3, { x: 5, y: 5, z: 5 });
  layout.setPositionConstraint(4, { position: { x: -20, y: 0, z: 0 }, stiffness: 0.2 });
  layout.setDistanceConstraint({ id: 'd', a: 5, b: 6, min: 2, max: 3 });
  return layout;
}

export async function stepBoth(gpu: PhysicsEngine, p: PhysicsParams, a: Layout, b: Layout): Promise<void> {
  const cpu = new SerialEngine();
  const ba = a.prepare(p);
  const bb = b.prepare(p);
  cpu.stepSync(ba, stepGlobals(p, a.n));
  await gpu.step(bb, stepGlobals(p, b.n), { structure: b.structureVersion, positions: b.positionsVersion });
}

export async function exactAgreement(t: ExecutionContext, gpu: PhysicsEngine, n: number): Promise<void> {
  const p = applyPatch(DEFAULT_PARAMS, { theta: 0, boundRadius: 40 });
  const a = richLayout(n, 9);
  const b = richLayout(n, 9);
  for (let s = 0; s < 5; s++) await stepBoth(gpu, p, a, b);
  const scale = extent(a.buffers.pos, 3 * a.n);
  const diff = maxAbsDiff(a.buffers.pos, b.buffers.pos, 3 * a.n);
  t.log(`exact: largest coordinate difference ${diff.toExponential(2)} over an extent of ${scale.toFixed(1)}`);
  t.true(diff <= EXACT_TOLERANCE * scale, `difference ${diff} > ${EXACT_TOLERANCE} x ${scale}`);
  t.deepEqual(b.position(3), { x: 5, y: 5, z: 5 }, 'pinned on the GPU too');
}

/** rms of (approx - exact) / rms of exact, over one step's displacement from the same start. */
export async function barnesHutAgreement(t: ExecutionContext, gpu: PhysicsEngine, n: number): Promise<void> {
  const settle = applyPatch(DEFAULT_PARAMS, {});
  const start = richLayout(n, 4);
  const cpu = new SerialEngine();
  for (let s = 0; s < 30; s++) cpu.stepSync(start.prepare(settle), stepGlobals(settle, start.n));
  const from = start.buffers.pos.slice(0, 3 * start.n);
  const displacement = async (engine: PhysicsEngine | 'cpu', theta: number): Promise<Float64Array> => {
    const l = richLayout(n, 4);
    l.moveNodes(
      l.nodeIds().map((id) => {
        const s = start.slot(id)!;
        return { id, position: { x: from[3 * s]!, y: from[3 * s + 1]!, z: from[3 * s + 2]! } };
      }),
    );
    const p = applyPatch(DEFAULT_PARAMS, { theta, maxForce: 1e9, maxVelocity: 1e9 });
    const b = l.prepare(p);
    if (engine === 'cpu') cpu.stepSync(b, stepGlobals(p, l.n));
    else await engine.step(b, stepGlobals(p, l.n), { structure: l.structureVersion, positions: l.positionsVersion });
    const d = new Float64Array(3 * l.n);
    for (let i = 0; i < 3 * l.n; i++) d[i] = b.pos[i]! - from[i]!;
    return d;
  };
  const exact = await displacement('cpu', 0);
  const rel = (d: Float64Array): number => {
    let e = 0;
    let m = 0;
    for (let i = 0; i < d.length; i++) {
      e += (d[i]! - exact[i]!) ** 2;
      m += exact[i]! ** 2;
    }
    return Math.sqrt(e / m);
  };
  const cpuErr = rel(await displacement('cpu', 1));
  const gpuErr = rel(await displacement(gpu, 1));
  t.log(`theta 1: CPU ${(cpuErr * 100).toFixed(2)}%, GPU ${(gpuErr * 100).toFixed(2)}% rms from exact`);
  t.true(cpuErr < BH_TOLERANCE && gpuErr < BH_TOLERANCE);
}
