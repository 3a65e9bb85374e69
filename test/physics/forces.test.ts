// The force model on the serial engine: finite whatever the input (coincident nodes, zero-length and
// self edges, absurd weights and parameters), Barnes-Hut close to the exact sum, Newton's third law,
// springs, constraints, pins and bounds doing what they say.
import test from 'ava';
import fc from 'fast-check';
import { SerialEngine } from '../../src/physics/cpu/serial-engine.ts';
import { allocTree, buildTree } from '../../src/physics/cpu/tree.ts';
import { InteractionList, repulseGroups } from '../../src/physics/cpu/repulsion.ts';
import { Layout } from '../../src/physics/layout.ts';
import { applyPatch, DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { allFinite, baLayout, stepGlobals } from './helpers.ts';

const weirdWeight = fc.constantFrom(0, 1, 2.5, 1e-300, 1e300, Number.MAX_VALUE, Infinity, -Infinity, NaN, -3);

test('positions and velocities stay finite: coincident nodes, zero-length and self edges, huge weights, extreme params', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.tuple(fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 1 })), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), weirdWeight), { maxLength: 80 }),
      fc.record({
        repulsion: fc.constantFrom(0, 1, 12, 1e6, 1e30),
        theta: fc.constantFrom(0, 0.5, 1, 2),
        softening: fc.constantFrom(1e-9, 0.01, 0.5, 100),
        timeStep: fc.constantFrom(0.001, 0.5, 10),
        damping: fc.constantFrom(0, 0.3, 0.99),
        maxForce: fc.constantFrom(1e-3, 200, 1e30),
        maxVelocity: fc.constantFrom(1e-3, 20, 1e30),
        boundRadius: fc.constantFrom(0, 1, 1e6),
      }),
      (n, coords, edges, patch) => {
        const layout = new Layout(mulberry32(n), 10);
        // Many nodes on a 3x3x3 grid: plenty of exact coincidences.
        layout.addNodes(
          Array.from({ length: n }, (_, i) => {
            const [x, y, z] = coords[i % coords.length]!;
            return { id: i, kind: i % 5 === 0 ? 'agent' : 'knowledge', position: { x, y, z } } as const;
          }),
        );
        layout.addEdges(edges.map(([a, b, w], e) => ({ id: BigInt(e), source: a % n, target: b % n, weight: w })));
        layout.setDistanceConstraint({ id: 'c', a: 0, b: n - 1, min: 0, max: 0 });
        const params = applyPatch(DEFAULT_PARAMS, patch);
        const engine = new SerialEngine();
        for (let s = 0; s < 4; s++) {
          const b = layout.prepare(params);
          const stats = engine.stepSync(b, stepGlobals(params, n));
          if (!allFinite(b.pos, 3 * n) || !allFinite(b.vel, 3 * n) || !Number.isFinite(stats.maxSpeed)) return false;
          if (stats.maxSpeed > params.maxVelocity * (1 + 1e-6)) return false;
        }
        return true;
      },
    ),
    { numRuns: 300, seed: 42 },
  );
  t.pass();
});

test('two coincident nodes push apart along a deterministic direction, equal and opposite', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([
    { id: 1, kind: 'knowledge', position: { x: 0, y: 0, z: 0 } },
    { id: 2, kind: 'knowledge', position: { x: 0, y: 0, z: 0 } },
  ]);
  const p = applyPatch(DEFAULT_PARAMS, { knowledge: { gravity: 0 } });
  new SerialEngine().stepSync(layout.prepare(p), stepGlobals(p, 2));
  const a = layout.position(1)!;
  const b = layout.position(2)!;
  t.true(Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z) > 0);
  t.true(Math.abs(a.x + b.x) < 1e-6 && Math.abs(a.y + b.y) < 1e-6 && Math.abs(a.z + b.z) < 1e-6);
});

function repulsion(layout: Layout, theta: number): Float64Array {
  const n = layout.n;
  const b = layout.prepare(DEFAULT_PARAMS);
  const tree = allocTree(n);
  buildTree(b.pos, b.charge, n, tree);
  const out = new Float64Array(3 * n);
  repulseGroups(tree, 0, tree.counts[1]!, { repulsion: 12, theta, softening: 0.5 }, out, new InteractionList());
  return out;
}

test('Barnes-Hut repulsion is within 3% (rms) of the exact sum at theta 1, and exact at theta 0 conserves momentum', (t) => {
  const layout = baLayout(3000, 7);
  const exact = repulsion(layout, 0);
  const approx = repulsion(layout, 1);
  let err = 0;
  let norm = 0;
  let sx = 0;
  let sy = 0;
  let sz = 0;
  let mag = 0;
  for (let i = 0; i < 3000; i++) {
    for (let c = 0; c < 3; c++) {
      err += (approx[3 * i + c]! - exact[3 * i + c]!) ** 2;
      norm += exact[3 * i + c]! ** 2;
    }
    sx += exact[3 * i]!;
    sy += exact[3 * i + 1]!;
    sz += exact[3 * i + 2]!;
    mag += Math.hypot(exact[3 * i]!, exact[3 * i + 1]!, exact[3 * i + 2]!);
  }
  const rms = Math.sqrt(err / norm);
  t.true(rms < 0.03, `rms relative error ${rms}`);
  t.true(Math.hypot(sx, sy, sz) < 1e-9 * mag, 'forces sum to zero (third law)');
});

test('a spring settles at its rest length; a distance constraint holds its band; an anchor holds its point', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([
    { id: 1, kind: 'knowledge', position: { x: -40, y: 0, z: 0 } },
    { id: 2, kind: 'knowledge', position: { x: 40, y: 0, z: 0 } },
    { id: 3, kind: 'knowledge', position: { x: 0, y: 50, z: 0 } },
    { id: 4, kind: 'knowledge', position: { x: 0, y: -50, z: 0 } },
  ]);
  layout.addEdges([{ id: 1n, source: 1, target: 2, weight: 1 }]);
  layout.setDistanceConstraint({ id: 'd', a: 3, b: 4, min: 5, max: 6, stiffness: 0.5 });
  layout.setPositionConstraint(1, { position: { x: 7, y: 7, z: 7 }, stiffness: 0.5 });
  // No repulsion or gravity: only the constraints act.
  const p = applyPatch(DEFAULT_PARAMS, { repulsion: 0, knowledge: { gravity: 0, springLength: 15 } });
  const engine = new SerialEngine();
  for (let s = 0; s < 600; s++) engine.stepSync(layout.prepare(p), stepGlobals(p, 4));
  const d = (a: number, b: number): number => {
    const pa = layout.position(a)!;
    const pb = layout.position(b)!;
    return Math.hypot(pa.x - pb.x, pa.y - pb.y, pa.z - pb.z);
  };
  const anchored = layout.position(1)!;
  t.true(Math.hypot(anchored.x - 7, anchored.y - 7, anchored.z - 7) < 0.5, `anchor at ${JSON.stringify(anchored)}`);
  t.true(Math.abs(d(1, 2) - 15) < 0.5, `spring length ${d(1, 2)}`);
  t.true(d(3, 4) >= 5 - 0.05 && d(3, 4) <= 6 + 0.05, `constraint distance ${d(3, 4)}`);
});

test('a pinned node does not move and has no velocity', (t) => {
  const layout = baLayout(200, 3);
  layout.pin(199, { x: 500, y: 0, z: 0 });
  const engine = new SerialEngine();
  for (let s = 0; s < 100; s++) engine.stepSync(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, 200));
  t.deepEqual(layout.position(199), { x: 500, y: 0, z: 0 });
  const b = layout.buffers;
  const s0 = layout.slot(199)!;
  t.deepEqual([b.vel[3 * s0], b.vel[3 * s0 + 1], b.vel[3 * s0 + 2]], [0, 0, 0]);
  layout.unpin(199);
  engine.stepSync(layout.prepare(DEFAULT_PARAMS), stepGlobals(DEFAULT_PARAMS, 200));
  t.notDeepEqual(layout.position(199), { x: 500, y: 0, z: 0 });
});

test('the soft bound pulls the layout inside its radius', (t) => {
  const farthest = (boundRadius: number): number => {
    const layout = baLayout(300, 3);
    const p = applyPatch(DEFAULT_PARAMS, { boundRadius, boundStiffness: 0.5 });
    const engine = new SerialEngine();
    for (let s = 0; s < 300; s++) engine.stepSync(layout.prepare(p), stepGlobals(p, 300));
    let far = 0;
    for (let id = 0; id < 300; id++) {
      const q = layout.position(id)!;
      far = Math.max(far, Math.hypot(q.x, q.y, q.z));
    }
    return far;
  };
  const free = farthest(0);
  const bounded = farthest(free / 3);
  // Soft: nodes may lean out a little under the push of the others, but the layout shrinks to it.
  t.true(bounded < (free / 3) * 1.6 && bounded < free * 0.6, `free ${free}, bounded to ${free / 3}: ${bounded}`);
});

test('agent nodes take the agent group parameters (charge, mass, spring length)', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([
    { id: 1, kind: 'agent' },
    { id: 2, kind: 'knowledge' },
    { id: 3, kind: 'knowledge' },
  ]);
  layout.addEdges([
    { id: 1n, source: 1, target: 2, weight: 1 },
    { id: 2n, source: 2, target: 3, weight: 1 },
  ]);
  const p = DEFAULT_PARAMS;
  const b = layout.prepare(p);
  const s1 = layout.slot(1)!;
  const s2 = layout.slot(2)!;
  t.is(b.charge[s1], p.agent.charge);
  t.is(b.charge[s2], p.knowledge.charge);
  t.is(b.mass[s1], Math.fround(p.agent.mass * (1 + 1 / 3)));
  const springOf = (from: number, to: number): number => {
    for (let e = b.springStart[from]!; e < b.springStart[from + 1]!; e++) if (b.springTo[e] === to) return e;
    return -1;
  };
  t.is(b.springLo[springOf(s1, s2)], p.agent.springLength);
  t.is(b.springLo[springOf(s2, layout.slot(3)!)], p.knowledge.springLength);
});
