// What `npm run gpu:check` runs under compute-sanitizer: physics steps at awkward sizes (tiny
// layouts, tile edges, and 262,144 nodes in buffers sized for 271,625, where a launch shape that
// does not grow with n would outgrow them) and shortest-path queries on both parent paths (one
// pass; breadth-first for zero weights). `--small` leaves out the large cases (for the slower
// tools). Exits 1 on any error; the sanitizer's own report decides the rest.
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { Layout } from '../../src/physics/layout.ts';
import { applyPatch, DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { stepGlobals } from '../../src/physics/buffers.ts';
import { barabasiAlbert, toTopology } from '../../src/physics/generators.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import { GpuSsspEngine } from '../../src/sssp/gpu-engine.ts';
import { mulberry32 } from '../../test/helpers/mulberry32.ts';
import { barabasiAlbert as baArrays, uniformRandom } from '../../test/sssp/support/graphs.ts';

const small = process.argv.includes('--small');
const physics = CudaPhysicsEngine.create();
console.log(physics.description);

async function steps(layout: Layout, count: number, theta = DEFAULT_PARAMS.theta): Promise<void> {
  const p = applyPatch(DEFAULT_PARAMS, { theta });
  for (let s = 0; s < count; s++) {
    const b = layout.prepare(p);
    await physics.step(b, stepGlobals(p, layout.n), { structure: layout.structureVersion, positions: layout.positionsVersion });
    for (let i = 0; i < 3 * layout.n; i++)
      if (!Number.isFinite(b.pos[i]!)) throw new Error(`non-finite position at ${i} (${layout.n} nodes)`);
  }
}

for (const n of [1, 2, 3, 255, 1023, 1024, 1025, 4097]) {
  const layout = new Layout(mulberry32(n), 10);
  const g = toTopology(barabasiAlbert(n, Math.min(2, Math.max(1, n - 1)), mulberry32(n)));
  layout.addNodes(g.nodes);
  layout.addEdges(g.edges);
  await steps(layout, 2);
  // A move, a removal (re-slotting the last node) and an addition: the merge kernels.
  layout.moveNodes([{ id: 0, position: { x: 3, y: 2, z: 1 } }]);
  if (n > 2) layout.removeNodes([1]);
  layout.addNodes([{ id: n + 10, kind: 'knowledge' }]);
  await steps(layout, 2);
  console.log(`physics: ${n} nodes stepped`);
}
if (!small) {
  const total = 271_625;
  const layout = new Layout(mulberry32(7), 10);
  layout.addNodes(Array.from({ length: total }, (_, id) => ({ id, kind: 'knowledge' as const })));
  layout.addEdges(Array.from({ length: 200_000 }, (_, k) => ({ id: BigInt(k), source: k, target: (k * 7919) % total, weight: 1 })));
  layout.removeNodes(Array.from({ length: total - 262_144 }, (_, k) => 262_144 + k));
  await steps(layout, 2);
  console.log(`physics: 262,144 nodes in buffers for ${layout.buffers.capacity} stepped`);
}
await physics.dispose();

const gpu = await GpuSsspEngine.open();
if (gpu.unavailable !== undefined) throw new Error(gpu.unavailable);
for (const [label, g] of [
  ['scale-free, one-pass parents', baArrays(small ? 5_000 : 100_000, 2, 1)],
  [
    'zero weights, breadth-first parents',
    (() => {
      const z = uniformRandom(5_000, 6, 21, true);
      for (let k = 0; k < z.weight.length; k += 3) z.weight[k] = 0;
      return z;
    })(),
  ],
] as const) {
  const csr = new DynamicCsr();
  csr.load(1, g.nodeIds, g.source, g.target, g.weight, { directed: false });
  const o = await gpu.run(csr, { source: 0 });
  if (!o.ok) throw new Error(`${label}: ${o.error.message}`);
  console.log(
    `sssp: ${label}: reached ${o.result.order.length} of ${g.n} in ${o.result.elapsedMs.toFixed(1)} ms (${JSON.stringify(gpu.lastRun)})`,
  );
}
gpu.dispose();
console.log('done');
