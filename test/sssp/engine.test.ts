// Bad input gets a clear error, never a wrong answer: no graph yet, unknown source or target,
// negative or NaN weights, a bad bound, and a graph that changes while a query is running.
import test from 'ava';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import type { SsspOutcome } from '../../src/sssp/engine.ts';
import { ssspRestLengths } from '../../src/sssp/rest-length.ts';
import { barabasiAlbert } from './support/graphs.ts';
import { csrOf } from './support/build.ts';

const line = { n: 4, edges: [0, 1, 2].map((i) => ({ source: i, target: i + 1, weight: 1 })) };

function code(o: SsspOutcome): string {
  return o.ok ? 'ok' : o.error.code;
}

test('no graph yet, unknown source, unknown target, bad bounds and bad target lists are refused', async (t) => {
  const engine = new CpuSsspEngine();
  t.is(code(await engine.run(new DynamicCsr(), { source: 0 })), 'no-graph');
  const csr = csrOf(line, 'directed');
  t.is(code(await engine.run(csr, { source: 42 })), 'unknown-source');
  t.is(code(await engine.run(csr, { source: '0' as unknown as number })), 'unknown-source');
  t.is(code(await engine.run(csr, { source: 0, targets: [1, 42] })), 'unknown-target');
  t.is(code(await engine.run(csr, { source: 0, maxDistance: -1 })), 'bad-query');
  t.is(code(await engine.run(csr, { source: 0, maxDistance: NaN })), 'bad-query');
  t.is(code(await engine.run(csr, { source: 0, targets: 3 as unknown as number[] })), 'bad-query');
  const o = await engine.run(csr, { source: 42 });
  t.regex(o.ok ? '' : o.error.message, /node 42 is not in graph version 1/);
});

test('a negative or NaN weight anywhere refuses the graph until it is fixed', async (t) => {
  const engine = new CpuSsspEngine();
  for (const w of [-1, NaN, -Infinity]) {
    const csr = csrOf({ n: 4, edges: [...line.edges, { source: 3, target: 0, weight: w }] }, 'directed');
    const o = await engine.run(csr, { source: 0 });
    t.is(code(o), 'negative-weight');
    t.regex(o.ok ? '' : o.error.message, /edge 3 has weight/);
    csr.apply({ type: 'edge-weights-changed', version: 2, edges: [{ id: 3n, weight: 2 }] });
    const fixed = await engine.run(csr, { source: 0 });
    t.true(fixed.ok);
    if (fixed.ok) t.is(fixed.result.version, 2);
  }
  // Removing the edge fixes it too.
  const csr = csrOf({ n: 2, edges: [{ source: 0, target: 1, weight: -3 }] }, 'undirected');
  csr.apply({ type: 'edges-removed', version: 2, ids: [0n] });
  t.true((await engine.run(csr, { source: 0 })).ok);
});

test('a graph changing mid-query gives graph-changed, never a mix of versions; the retry sees the new graph', async (t) => {
  const g = barabasiAlbert(3000, 2, 7);
  const csr = new DynamicCsr('undirected');
  csr.load(1, g.nodeIds, g.source, g.target, g.weight);
  let changes = 0;
  const engine = new CpuSsspEngine({
    sliceMs: 0,
    popsPerCheck: 100,
    yieldTo: async () => {
      // Something outside the query shortens a path while it is suspended.
      if (changes++ === 0) csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 10_000_000n, source: 0, target: 2999, weight: 0 }] });
    },
  });
  const first = await engine.run(csr, { source: 0 });
  t.is(code(first), 'graph-changed');
  const second = await engine.run(csr, { source: 0 });
  t.true(second.ok);
  if (second.ok) {
    t.is(second.result.version, 2);
    t.is(second.result.distance[2999], 0);
    t.is(second.result.order.length, 3000);
  }
});

test('a sliced run equals the same run in one go', async (t) => {
  const g = barabasiAlbert(5000, 2, 3);
  const csr = new DynamicCsr('undirected');
  csr.load(1, g.nodeIds, g.source, g.target, g.weight);
  const sliced = await new CpuSsspEngine({ sliceMs: 0, popsPerCheck: 7 }).run(csr, { source: 17 });
  const whole = new CpuSsspEngine().runSync(csr, { source: 17 });
  t.true(sliced.ok && whole.ok);
  if (sliced.ok && whole.ok) t.deepEqual(sliced.result.distance, whole.result.distance);
});

test('removed node indices are reused without leaking old distances', async (t) => {
  const csr = csrOf(line, 'undirected');
  csr.apply({ type: 'edges-removed', version: 2, ids: [2n] });
  csr.apply({ type: 'nodes-removed', version: 2, ids: [3] });
  csr.apply({ type: 'nodes-added', version: 3, nodes: [{ id: 77, kind: 'concept' }] });
  const o = await new CpuSsspEngine().run(csr, { source: 0 });
  t.true(o.ok);
  if (!o.ok) return;
  t.is(o.result.ids[3], 77);
  t.is(o.result.distance[3], Infinity);
  t.deepEqual(Array.from(o.result.order), [0, 1, 2]);
});

test('rest lengths grow with the distance difference across an edge', (t) => {
  const o = new CpuSsspEngine().runSync(csrOf(line, 'directed'), { source: 0 });
  if (!o.ok) return t.fail();
  const lengths = ssspRestLengths(o.result, [0, 0, 1, 5], [1, 3, 1, 0], { base: 10, strength: 1 });
  t.deepEqual(Array.from(lengths), [Math.fround(10 * (1 + 1 / 3)), 20, 10, 10]);
});
