// The CPU engine on a worker thread: the same answers as on the calling thread (rome99 and a
// random graph, with targets and a bound), the event loop free while a big query runs, changes
// made to the shared CSR afterwards visible to the next query, and a clear failure once the
// worker is gone.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import { parseDimacs } from '../../src/sssp/dimacs.ts';
import type { SsspOutcome } from '../../src/sssp/engine.ts';
import { WorkerSsspEngine } from '../../src/sssp/worker-engine.ts';
import { gatherWire } from '../../src/sssp/wire-vectors.ts';
import { ssspResultEnvelope } from '../../src/protocol/envelope/sssp-result-envelope.ts';
import { uniformRandom } from './support/graphs.ts';
import { ROME99_GR } from '../../src/import/samples.ts';

const rome = parseDimacs(readFileSync(ROME99_GR, 'utf8'));

function same(t: ExecutionContext, a: SsspOutcome, b: SsspOutcome, label: string): void {
  if (!a.ok || !b.ok) {
    t.deepEqual(a, b, label);
    return;
  }
  t.deepEqual(Array.from(a.result.distance), Array.from(b.result.distance), `${label}: distances`);
  t.deepEqual(Array.from(a.result.parent), Array.from(b.result.parent), `${label}: parents`);
  t.deepEqual(Array.from(a.result.order), Array.from(b.result.order), `${label}: order`);
  t.deepEqual(
    [a.result.version, a.result.complete, a.result.sorted],
    [b.result.version, b.result.complete, b.result.sorted],
    `${label}: tags`,
  );
  // The worker gathers the wire vectors beside the query; they are what a gather here gives.
  const n = b.result.order.length;
  const expected = { nodes: new Uint32Array(n), distances: new Float32Array(n), parents: new Uint32Array(n) };
  gatherWire(b.result.ids, b.result.distance, b.result.parent, b.result.order, expected);
  const wire = a.result.wire;
  if (wire === undefined) {
    t.fail(`${label}: the worker's answer has no wire vectors`);
    return;
  }
  t.deepEqual(
    [Array.from(wire.nodes), Array.from(wire.distances), Array.from(wire.parents)],
    [Array.from(expected.nodes), Array.from(expected.distances), Array.from(expected.parents)],
    `${label}: wire vectors`,
  );
  t.is(wire.nodes[0], a.result.source, `${label}: the source first`);
  // Gathered straight into the envelope clients are sent: it is that same message.
  t.is(wire.nodes.buffer, wire.bytes.buffer, `${label}: the vectors are views into the envelope`);
  t.deepEqual(
    wire.bytes,
    ssspResultEnvelope({
      source: a.result.source,
      nodes: wire.nodes,
      distances: wire.distances,
      parents: wire.parents,
      complete: a.result.complete,
    }),
    `${label}: envelope`,
  );
}

test('the worker answers exactly as the calling thread does', async (t) => {
  const engine = await WorkerSsspEngine.open();
  t.teardown(() => engine.dispose());
  const cpu = new CpuSsspEngine();
  const road = new DynamicCsr();
  road.load(1, rome.nodeIds, rome.source, rome.target, rome.weight, { directed: true });
  for (const source of [1, 100, 2000, 3353])
    same(t, await engine.run(road, { source }), cpu.runSync(road, { source }), `rome99 from ${source}`);
  same(t, await engine.run(road, { source: 1, targets: [3000, 17] }), cpu.runSync(road, { source: 1, targets: [3000, 17] }), 'targets');
  same(t, await engine.run(road, { source: 5, maxDistance: 20_000 }), cpu.runSync(road, { source: 5, maxDistance: 20_000 }), 'a bound');
  const g = uniformRandom(20_000, 8, 7);
  const random = new DynamicCsr('undirected');
  random.load(3, g.nodeIds, g.source, g.target, g.weight);
  same(t, await engine.run(random, { source: 11 }), cpu.runSync(random, { source: 11 }), 'uniform 20k');
  // Errors are the same checks, made before the worker is asked.
  const unknown = await engine.run(random, { source: 999_999 });
  t.is(unknown.ok ? 'ok' : unknown.error.code, 'unknown-source');
});

test('the event loop runs while the worker computes; the next query sees changes made meanwhile', async (t) => {
  const engine = await WorkerSsspEngine.open();
  t.teardown(() => engine.dispose());
  const g = uniformRandom(300_000, 8, 3);
  const csr = new DynamicCsr('undirected');
  csr.load(1, g.nodeIds, g.source, g.target, g.weight);
  let ticks = 0;
  let done = false;
  const query = engine.run(csr, { source: 0 }).then((o) => {
    done = true;
    return o;
  });
  // A query on 300k nodes takes tens of milliseconds or more; timers keep firing all along.
  while (!done) {
    await new Promise((r) => setTimeout(r, 1));
    if (!done) ticks++;
  }
  const outcome = await query;
  t.true(outcome.ok);
  t.true(ticks > 0, 'the calling thread was never blocked');
  // Grow the graph (its arrays are reallocated, still shared) and ask again.
  csr.apply({ type: 'nodes-added', version: 2, nodes: [{ id: 400_000, kind: 'concept' }] });
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 10_000_000n, source: 0, target: 400_000, weight: 0.5 }] });
  const again = await engine.run(csr, { source: 400_000, targets: [0] });
  t.true(again.ok && again.result.version === 2 && again.result.distance[csr.indexOf(0)!] === 0.5);
});

test('a worker that is gone fails its queries clearly', async (t) => {
  const engine = await WorkerSsspEngine.open();
  const csr = new DynamicCsr();
  csr.load(1, rome.nodeIds, rome.source, rome.target, rome.weight, { directed: true });
  engine.dispose();
  const outcome = await engine.run(csr, { source: 1 });
  t.is(outcome.ok ? 'ok' : outcome.error.code, 'engine-failed');
  t.regex(engine.unavailable ?? '', /disposed/);
});
