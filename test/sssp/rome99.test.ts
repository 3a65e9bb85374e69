// Every one of rome99's 3,353 sources: the CPU engine's distances equal the textbook reference's,
// node for node, and every parent chain is a shortest path.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';
import { parseDimacs } from '../../src/sssp/dimacs.ts';
import { ReferenceGraph } from './support/reference.ts';
import { ROME99_GR } from '../../src/import/samples.ts';

const rome = parseDimacs(readFileSync(ROME99_GR, 'utf8'));

test('rome99 parses to 3,353 nodes and 8,870 arcs', (t) => {
  t.is(rome.nodeCount, 3353);
  t.is(rome.source.length, 8870);
});

test('rome99: every source matches the reference Dijkstra on every node; every parent is on a shortest path', (t) => {
  const csr = new DynamicCsr();
  csr.load(1, rome.nodeIds, rome.source, rome.target, rome.weight, { directed: true });
  const nodes = Array.from(rome.nodeIds);
  const ref = new ReferenceGraph(
    nodes,
    Array.from(rome.source, (s, k) => ({ source: s, target: rome.target[k]!, weight: rome.weight[k]! })),
    false,
  );
  const engine = new CpuSsspEngine();
  let mismatches = 0;
  let reached = 0;
  for (const source of nodes) {
    const expected = ref.dijkstra(source);
    const outcome = engine.runSync(csr, { source });
    if (!outcome.ok) return t.fail(outcome.error.message);
    const r = outcome.result;
    // Loaded in id order: index i is node id i + 1, reference position i.
    for (let i = 0; i < r.size; i++) {
      if (r.distance[i] !== expected[i]) mismatches++;
      const p = r.parent[i]!;
      if (p >= 0 && r.distance[p]! + ref.arc(p, i) !== r.distance[i]) mismatches++;
      if (expected[i] !== Infinity) reached++;
    }
    if (r.order.length !== new Set(r.order).size || r.ids[r.sourceIndex] !== source) mismatches++;
  }
  t.is(mismatches, 0);
  t.log(`${nodes.length} sources, ${reached} reachable (source, node) pairs checked`);
});
