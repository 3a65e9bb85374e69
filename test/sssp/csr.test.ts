// The incremental CSR against a model: after any sequence of topology changes (edges of mixed
// directions added, removed, reweighted and turned around) its rows hold exactly the arcs of a CSR
// built from scratch from the same graph, its answers equal a fresh build's and the independent
// reference Dijkstra's (directed edges one way, undirected both; every edge both ways in the
// undirected reading), and a change that does not fit is refused whole.
import test from 'ava';
import fc from 'fast-check';
import type { TopologyChange, TopologyEdge } from '../../src/graph/topology.ts';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DynamicCsr, TopologyError, type EdgeReading } from '../../src/sssp/csr.ts';
import { referenceDijkstra, type RefEdge } from './support/reference.ts';

/** Row contents by node id: sorted "target:weight" strings. */
function rows(csr: DynamicCsr): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let i = 0; i < csr.size; i++) {
    if (csr.alive[i] !== 1) {
      if (csr.rowLen[i] !== 0) throw new Error(`dead index ${i} has arcs`);
      continue;
    }
    const row: string[] = [];
    for (let a = csr.rowStart[i]!; a < csr.rowStart[i]! + csr.rowLen[i]!; a++) {
      if (csr.alive[csr.col[a]!] !== 1) throw new Error('arc to a dead index');
      row.push(`${csr.idOf[csr.col[a]!]}:${csr.weight[a]}`);
    }
    out.set(csr.idOf[i]!, row.sort());
  }
  return out;
}

type Op =
  | { op: 'add-nodes'; count: number }
  | { op: 'remove-node'; pick: number; edgesFirst: boolean }
  | { op: 'add-edges'; picks: [number, number, number, boolean][] }
  | { op: 'remove-edge'; pick: number }
  | { op: 'reweight'; pick: number; weight: number }
  /** An upsert that changes an edge's direction, as the topology publishes it: removed, then added. */
  | { op: 'turn'; pick: number }
  | { op: 'compact' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add-nodes' as const), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('remove-node' as const), pick: fc.nat(), edgesFirst: fc.boolean() }),
  fc.record({
    op: fc.constant('add-edges' as const),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 9 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ op: fc.constant('remove-edge' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('reweight' as const), pick: fc.nat(), weight: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constant('turn' as const), pick: fc.nat() }),
  fc.constant({ op: 'compact' as const }),
);

/** Plays ops on a model (maps) and on an incremental CSR; returns both. */
function play(reading: EdgeReading, ops: readonly Op[]) {
  const nodes = new Set<number>([0, 1, 2]);
  const edges = new Map<bigint, TopologyEdge>();
  let nextNode = 3;
  let nextEdge = 0n;
  let version = 1;
  const csr = new DynamicCsr(reading);
  csr.apply({ type: 'reset', version, nodes: [...nodes].map((id) => ({ id, kind: 'concept' })), edges: [] });
  const nodeList = (): number[] => [...nodes];
  for (const o of ops) {
    version++;
    const changes: TopologyChange[] = [];
    switch (o.op) {
      case 'add-nodes': {
        const added = Array.from({ length: o.count }, () => nextNode++);
        for (const id of added) nodes.add(id);
        changes.push({ type: 'nodes-added', version, nodes: added.map((id) => ({ id, kind: 'concept' })) });
        break;
      }
      case 'remove-node': {
        if (nodes.size === 0) continue;
        const id = nodeList()[o.pick % nodes.size]!;
        const incident = [...edges.values()].filter((e) => e.source === id || e.target === id).map((e) => e.id);
        for (const e of incident) edges.delete(e);
        nodes.delete(id);
        // The topology lists the edges first; a CSR must also cope when it does not.
        if (o.edgesFirst && incident.length > 0) changes.push({ type: 'edges-removed', version, ids: incident });
        changes.push({ type: 'nodes-removed', version, ids: [id] });
        break;
      }
      case 'add-edges': {
        if (nodes.size === 0) continue;
        const list = nodeList();
        const added = o.picks.map(([a, b, w, directed]) => ({
          id: nextEdge++,
          source: list[a % list.length]!,
          target: list[b % list.length]!,
          weight: w,
          directed,
        }));
        for (const e of added) edges.set(e.id, e);
        changes.push({ type: 'edges-added', version, edges: added });
        break;
      }
      case 'remove-edge': {
        if (edges.size === 0) continue;
        const id = [...edges.keys()][o.pick % edges.size]!;
        edges.delete(id);
        changes.push({ type: 'edges-removed', version, ids: [id] });
        break;
      }
      case 'reweight': {
        if (edges.size === 0) continue;
        const e = [...edges.values()][o.pick % edges.size]!;
        edges.set(e.id, { ...e, weight: o.weight });
        changes.push({ type: 'edge-weights-changed', version, edges: [{ id: e.id, weight: o.weight }] });
        break;
      }
      case 'turn': {
        if (edges.size === 0) continue;
        const e = [...edges.values()][o.pick % edges.size]!;
        const turned = { ...e, directed: e.directed !== true };
        edges.set(e.id, turned);
        changes.push({ type: 'edges-removed', version, ids: [e.id] }, { type: 'edges-added', version, edges: [turned] });
        break;
      }
      case 'compact':
        csr.compact();
        continue;
    }
    for (const c of changes) csr.apply(c);
  }
  const fresh = new DynamicCsr(reading);
  fresh.apply({ type: 'reset', version, nodes: [...nodes].map((id) => ({ id, kind: 'concept' })), edges: [...edges.values()] });
  return { csr, fresh, nodes, edges };
}

const edgeKey = (e: TopologyEdge): string => `${e.id}:${e.source}:${e.target}:${e.weight}:${e.directed === true}`;

/** The arcs a reading of the model's edges holds, for the reference (which shares nothing with src/sssp). */
function referenceArcs(edges: Iterable<TopologyEdge>, reading: EdgeReading): RefEdge[] {
  const arcs: RefEdge[] = [];
  for (const e of edges) {
    arcs.push({ source: e.source, target: e.target, weight: e.weight });
    if (reading === 'undirected' || e.directed !== true) arcs.push({ source: e.target, target: e.source, weight: e.weight });
  }
  return arcs;
}

for (const reading of ['as-stored', 'undirected'] as const) {
  test(`${reading}: after random change sequences of mixed-direction edges the incremental CSR equals one built from scratch and the reference`, (t) => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const { csr, fresh, nodes, edges } = play(reading, ops);
        if (csr.nodeCount !== nodes.size || csr.edgeCount !== edges.size) return false;
        if (csr.directedEdgeCount !== [...edges.values()].filter((e) => e.directed === true).length) return false;
        const a = rows(csr);
        const b = rows(fresh);
        if (a.size !== b.size) return false;
        for (const [id, row] of a) if (JSON.stringify(row) !== JSON.stringify(b.get(id))) return false;
        // The edges it reports are the model's, directions included, whatever the reading.
        const listed = csr.edges().map(edgeKey).sort();
        const model = [...edges.values()].map(edgeKey).sort();
        if (JSON.stringify(listed) !== JSON.stringify(model)) return false;
        // And its answers are a fresh build's and the reference's, from every source.
        const engine = new CpuSsspEngine();
        const ids = [...nodes];
        const arcs = referenceArcs(edges.values(), reading);
        for (const source of ids) {
          const x = engine.runSync(csr, { source });
          const y = engine.runSync(fresh, { source });
          if (!x.ok || !y.ok) return false;
          const expected = referenceDijkstra(ids, arcs, source, false);
          for (const id of ids) {
            const d = x.result.distance[csr.indexOf(id)!]!;
            if (d !== y.result.distance[fresh.indexOf(id)!]) return false;
            if (d !== (expected.get(id) ?? Infinity)) return false;
          }
        }
        return true;
      }),
      { numRuns: 250 },
    );
    t.pass();
  });
}

test("an undirected copy of a mixed-direction CSR follows every edge both ways and keeps each edge's direction", async (t) => {
  fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
      const { csr, nodes, edges } = play('as-stored', ops);
      const copy = new DynamicCsr('undirected');
      await copy.copyInSlices(csr, async () => undefined, 0);
      if (copy.version !== csr.version || copy.edges().map(edgeKey).sort().join() !== [...edges.values()].map(edgeKey).sort().join())
        return false;
      const ids = [...nodes];
      const arcs = referenceArcs(edges.values(), 'undirected');
      const engine = new CpuSsspEngine();
      for (const source of ids) {
        const x = engine.runSync(copy, { source });
        if (!x.ok) return false;
        const expected = referenceDijkstra(ids, arcs, source, false);
        for (const id of ids) if (x.result.distance[copy.indexOf(id)!] !== (expected.get(id) ?? Infinity)) return false;
      }
      return true;
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('rows grow by moving, and compaction squeezes the holes out', (t) => {
  const csr = new DynamicCsr();
  csr.apply({ type: 'reset', version: 1, nodes: Array.from({ length: 100 }, (_, id) => ({ id, kind: 'concept' })), edges: [] });
  let id = 0n;
  for (let round = 0; round < 20; round++) {
    csr.apply({
      type: 'edges-added',
      version: 2 + round,
      edges: Array.from({ length: 100 }, (_, k) => ({ id: id++, source: k, target: (k + round + 1) % 100, weight: 1, directed: true })),
    });
  }
  t.is(csr.edgeCount, 2000);
  t.true(csr.slack > 0);
  const before = rows(csr);
  csr.compact();
  t.deepEqual(rows(csr), before);
  t.true(csr.arcTop <= 2000 + 2000 / 8 + 1);
});

test('a change that does not fit is refused whole, leaving the graph as it was', (t) => {
  const csr = new DynamicCsr();
  csr.apply({
    type: 'reset',
    version: 5,
    nodes: [
      { id: 1, kind: 'concept' },
      { id: 2, kind: 'concept' },
    ],
    edges: [{ id: 1n, source: 1, target: 2, weight: 1 }],
  });
  const bad: TopologyChange[] = [
    {
      type: 'edges-added',
      version: 6,
      edges: [
        { id: 2n, source: 1, target: 2, weight: 1 },
        { id: 3n, source: 1, target: 99, weight: 1 },
      ],
    },
    { type: 'edges-added', version: 6, edges: [{ id: 1n, source: 2, target: 1, weight: 1 }] },
    {
      type: 'nodes-added',
      version: 6,
      nodes: [
        { id: 3, kind: 'concept' },
        { id: 3, kind: 'concept' },
      ],
    },
    { type: 'nodes-removed', version: 6, ids: [7] },
    { type: 'edges-removed', version: 6, ids: [1n, 1n] },
    {
      type: 'edge-weights-changed',
      version: 6,
      edges: [
        { id: 1n, weight: 3 },
        { id: 9n, weight: 3 },
      ],
    },
    { type: 'nodes-added', version: 4, nodes: [{ id: 4, kind: 'concept' }] },
    { type: 'nodes-added', version: 6, nodes: [{ id: -1, kind: 'concept' }] },
  ];
  for (const change of bad) t.throws(() => csr.apply(change), { instanceOf: TopologyError }, change.type);
  t.is(csr.version, 5);
  t.is(csr.nodeCount, 2);
  t.deepEqual(csr.edges(), [{ id: 1n, source: 1, target: 2, weight: 1 }]);
  t.throws(() => new DynamicCsr().apply({ type: 'nodes-added', version: 1, nodes: [] }), { instanceOf: TopologyError });
});

test('changes of one committed unit share a version; nodes-moved changes nothing', (t) => {
  const csr = new DynamicCsr('undirected');
  csr.apply({ type: 'reset', version: 1, nodes: [{ id: 1, kind: 'concept' }], edges: [] });
  csr.apply({ type: 'nodes-added', version: 2, nodes: [{ id: 2, kind: 'concept' }] });
  csr.apply({ type: 'edges-added', version: 2, edges: [{ id: 10n, source: 1, target: 2, weight: 4 }] });
  csr.apply({ type: 'nodes-moved', version: 3, nodes: [{ id: 1, position: { x: 1, y: 2, z: 3 } }] });
  t.is(csr.version, 3);
  t.is(csr.edgeCount, 1);
});

test('edge ids beyond 2^53 work as keys', (t) => {
  const csr = new DynamicCsr();
  const big = 2n ** 63n + 5n;
  csr.apply({
    type: 'reset',
    version: 1,
    nodes: [
      { id: 1, kind: 'concept' },
      { id: 2, kind: 'concept' },
    ],
    edges: [{ id: big, source: 1, target: 2, weight: 1 }],
  });
  csr.apply({ type: 'edge-weights-changed', version: 2, edges: [{ id: big, weight: 7 }] });
  t.deepEqual(csr.edges(), [{ id: big, source: 1, target: 2, weight: 7 }]);
  csr.apply({ type: 'edges-removed', version: 3, ids: [big] });
  t.is(csr.edgeCount, 0);
});

test('a snapshot loaded in slices equals one loaded at once, yields along the way, and a bad one changes nothing', async (t) => {
  const n = 60_000;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: 7 * i + 3, kind: 'concept' as const }));
  const edges = Array.from({ length: 2 * n }, (_, k) => ({
    id: BigInt(k),
    source: 7 * (k % n) + 3,
    target: 7 * ((k * 31 + 5) % n) + 3,
    weight: 1 + (k % 13),
  }));
  const whole = new DynamicCsr('undirected');
  whole.reset(4, nodes, edges);
  const sliced = new DynamicCsr('undirected');
  let yields = 0;
  await sliced.resetInSlices(4, nodes, edges, async () => void yields++, 0);
  t.true(yields > 5, `${yields} yields`);
  t.is(sliced.version, 4);
  t.deepEqual(sliced.nodeIds(), whole.nodeIds());
  t.deepEqual(sliced.edges(), whole.edges());
  const engine = new CpuSsspEngine();
  const a = engine.runSync(whole, { source: 3 });
  const b = engine.runSync(sliced, { source: 3 });
  t.true(a.ok && b.ok);
  if (a.ok && b.ok) t.deepEqual(Array.from(b.result.distance), Array.from(a.result.distance));

  const duplicate = [...edges, { id: 5n, source: 3, target: 10, weight: 1 }];
  await t.throwsAsync(
    sliced.resetInSlices(5, nodes, duplicate, async () => undefined, 0),
    { instanceOf: TopologyError },
  );
  t.is(sliced.version, 4, 'a snapshot that fails its checks leaves the graph as it was');
  t.deepEqual(sliced.edges(), whole.edges());
});
