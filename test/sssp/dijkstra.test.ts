// The CPU engine's answers, as properties over random graphs (fast-check) and as examples: the
// reference's distances, the triangle inequality on every arc, parent chains that sum to the
// distance, unreachable exactly when infinite, and the early exits (targets, distance bound).
// Every property runs three ways: the default engine on graphs with zero weights (which takes the
// radix queue), the default engine on positive weights (the bucket queue), and the radix queue
// forced on positive weights.
import test from 'ava';
import fc from 'fast-check';
import { BucketRun, bucketWidth, SETTLE_CHUNK } from '../../src/sssp/bucket-run.ts';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import { DijkstraScratch } from '../../src/sssp/dijkstra.ts';
import type { SsspResult } from '../../src/sssp/engine.ts';
import { distanceTo, pathIndices, pathTo } from '../../src/sssp/paths.ts';
import { csrOf, type SmallGraph } from './support/build.ts';
import { referenceBellmanFord } from './support/reference.ts';

const weight = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(Infinity));
// No zeros. One family per graph, so that the weights' spread fits the bucket ring: small integers
// (many ties), fractions over a 200x range, and a mix over three orders of magnitude.
const positiveWeights = fc.oneof(
  fc.constant(fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(Infinity))),
  fc.constant(fc.double({ min: 0.5, max: 100, noNaN: true })),
  fc.constant(fc.oneof(fc.double({ min: 0.01, max: 10, noNaN: true }), fc.integer({ min: 1, max: 5 }))),
);

function graphs(weights: fc.Arbitrary<fc.Arbitrary<number>>) {
  return fc.tuple(fc.integer({ min: 1, max: 24 }), weights).chain(([n, w]) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.record({ source: fc.nat(n - 1), target: fc.nat(n - 1), weight: w }), { maxLength: 4 * n }),
      source: fc.nat(n - 1),
      undirected: fc.boolean(),
    }),
  );
}

type Queue = 'auto' | 'radix';
const variants = [
  { name: 'zero weights allowed (radix queue)', queue: 'auto' as Queue, graphArb: graphs(fc.constant(weight)) },
  { name: 'positive weights (bucket queue)', queue: 'auto' as Queue, graphArb: graphs(positiveWeights) },
  { name: 'positive weights, radix queue forced', queue: 'radix' as Queue, graphArb: graphs(positiveWeights) },
];

function runWith(
  queue: Queue,
  g: SmallGraph,
  undirected: boolean,
  source: number,
  extra: { targets?: number[]; maxDistance?: number } = {},
): SsspResult {
  const outcome = new CpuSsspEngine({ queue }).runSync(csrOf(g, undirected ? 'undirected' : 'directed'), { source, ...extra });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.result;
}

function run(g: SmallGraph, undirected: boolean, source: number, extra: { targets?: number[]; maxDistance?: number } = {}): SsspResult {
  return runWith('auto', g, undirected, source, extra);
}

function arcs(g: SmallGraph, undirected: boolean): { source: number; target: number; weight: number }[] {
  return undirected ? g.edges.flatMap((e) => [e, { source: e.target, target: e.source, weight: e.weight }]) : [...g.edges];
}

function reachable(g: SmallGraph, undirected: boolean, source: number): Set<number> {
  const seen = new Set([source]);
  const queue = [source];
  const all = arcs(g, undirected).filter((a) => a.weight !== Infinity);
  while (queue.length > 0) {
    const u = queue.shift()!;
    for (const a of all) {
      if (a.source !== u || seen.has(a.target)) continue;
      seen.add(a.target);
      queue.push(a.target);
    }
  }
  return seen;
}

for (const { name, queue, graphArb } of variants) {
  test(`${name}: distances equal Bellman-Ford on random graphs (directed and undirected, zero and infinite weights)`, (t) => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, source, undirected }) => {
        const g = { n, edges };
        const r = runWith(queue, g, undirected, source);
        const expected = referenceBellmanFord(
          Array.from({ length: n }, (_, i) => i),
          edges,
          source,
          undirected,
        );
        for (let v = 0; v < n; v++) if (r.distance[v] !== (expected.get(v) ?? Infinity)) return false;
        return true;
      }),
      { numRuns: 400 },
    );
    t.pass();
  });

  test(`${name}: triangle inequality holds on every arc`, (t) => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, source, undirected }) => {
        const r = runWith(queue, { n, edges }, undirected, source);
        return arcs({ n, edges }, undirected).every((a) => !(r.distance[a.target]! > r.distance[a.source]! + a.weight));
      }),
      { numRuns: 400 },
    );
    t.pass();
  });

  test(`${name}: every parent chain reaches the source and its arc lengths sum to the distance`, (t) => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, source, undirected }) => {
        const g = { n, edges };
        const r = runWith(queue, g, undirected, source);
        const all = arcs(g, undirected);
        for (const v of r.order) {
          const path = pathIndices(r, v);
          if (path === null || path[0] !== source || path[path.length - 1] !== v) return false;
          // Sum left to right along the path, as the distance was accumulated.
          let sum = 0;
          for (let k = 1; k < path.length; k++) {
            const u = path[k - 1]!;
            const w = path[k]!;
            const step = all.filter((a) => a.source === u && a.target === w && sum + a.weight === r.distance[w]);
            if (step.length === 0) return false;
            sum += step[0]!.weight;
          }
          if (sum !== r.distance[v]) return false;
        }
        return r.parent[source] === -1 && r.distance[source] === 0;
      }),
      { numRuns: 300 },
    );
    t.pass();
  });

  test(`${name}: a node is unreachable exactly when its distance is infinite (and it is then absent from the order)`, (t) => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, source, undirected }) => {
        const g = { n, edges };
        const r = runWith(queue, g, undirected, source);
        const seen = reachable(g, undirected, source);
        for (let v = 0; v < n; v++) {
          if (seen.has(v) !== (r.distance[v] !== Infinity)) return false;
          if (!seen.has(v) && r.parent[v] !== -1) return false;
        }
        return r.order.length === seen.size && r.complete;
      }),
      { numRuns: 300 },
    );
    t.pass();
  });

  test(`${name}: settle order starts at the source and is nondecreasing (within one bucket width for buckets)`, (t) => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, source, undirected }) => {
        const csr = csrOf({ n, edges }, undirected ? 'undirected' : 'directed');
        const r = runWith(queue, { n, edges }, undirected, source);
        if (r.order[0] !== source) return false;
        // Buckets settle in distance order bucket by bucket: never more than a width out of order.
        const width = queue === 'radix' ? undefined : bucketWidth(csr.weightScale());
        if (r.sorted !== (width === undefined)) return false;
        const slack = width ?? 0;
        for (let k = 1; k < r.order.length; k++) if (r.distance[r.order[k]!]! < r.distance[r.order[k - 1]!]! - slack) return false;
        return true;
      }),
      { numRuns: 200 },
    );
    t.pass();
  });

  test(`${name}: early exit on k targets: the targets and every listed node are exact; the rest is not reported`, (t) => {
    fc.assert(
      fc.property(graphArb, fc.array(fc.nat(23), { minLength: 1, maxLength: 4 }), ({ n, edges, source, undirected }, rawTargets) => {
        const g = { n, edges };
        const targets = rawTargets.map((x) => x % n);
        const full = runWith(queue, g, undirected, source);
        const early = runWith(queue, g, undirected, source, { targets });
        for (const v of targets) if (early.distance[v] !== full.distance[v]) return false;
        for (let v = 0; v < n; v++) {
          const listed = early.order.includes(v);
          if (listed ? early.distance[v] !== full.distance[v] : early.distance[v] !== Infinity) return false;
        }
        // Paths to the targets are shortest paths.
        for (const v of targets) {
          const p = pathTo(early, v);
          if ((p === null) !== (full.distance[v] === Infinity)) return false;
        }
        return early.order.length <= full.order.length;
      }),
      { numRuns: 300 },
    );
    t.pass();
  });

  test(`${name}: early exit on a distance bound: exactly the nodes within it, exact`, (t) => {
    fc.assert(
      fc.property(graphArb, fc.double({ min: 0, max: 200, noNaN: true }), ({ n, edges, source, undirected }, bound) => {
        const g = { n, edges };
        const full = runWith(queue, g, undirected, source);
        const near = runWith(queue, g, undirected, source, { maxDistance: bound });
        for (let v = 0; v < n; v++) {
          const want = full.distance[v]! <= bound ? full.distance[v] : Infinity;
          if (near.distance[v] !== want) return false;
        }
        return near.complete && near.maxDistance === bound;
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

/** Graphs of 20-300 nodes with positive weights: buckets hold many nodes at once. */
const biggerGraphs = fc.tuple(fc.integer({ min: 20, max: 300 }), positiveWeights).chain(([n, w]) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(fc.record({ source: fc.nat(n - 1), target: fc.nat(n - 1), weight: w }), { minLength: n, maxLength: 6 * n }),
    source: fc.nat(n - 1),
    undirected: fc.boolean(),
  }),
);

test("the bucket queue gives the radix queue's distances on bigger random graphs", (t) => {
  fc.assert(
    fc.property(biggerGraphs, ({ n, edges, source, undirected }) => {
      const buckets = runWith('auto', { n, edges }, undirected, source);
      const radix = runWith('radix', { n, edges }, undirected, source);
      if (buckets.sorted || !radix.sorted) return false; // each path really taken
      for (let v = 0; v < n; v++) if (buckets.distance[v] !== radix.distance[v]) return false;
      return buckets.order.length === radix.order.length;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('the bucket run settles a chunk of a bucket before relaxing it, with the answer of one node at a time', (t) => {
  // Chunk size 1 is one node at a time. Targets, a bound and small step budgets cut chunks short.
  const cases = biggerGraphs.chain((g) =>
    fc
      .record({
        targets: fc.option(fc.uniqueArray(fc.nat(g.n - 1), { minLength: 1, maxLength: 3 }), { nil: null }),
        bound: fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: Infinity }),
        budgets: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        chunk: fc.constantFrom(2, 3, 7, SETTLE_CHUNK),
      })
      .map((extra) => ({ ...g, ...extra })),
  );
  const scratch = new DijkstraScratch();
  fc.assert(
    fc.property(cases, ({ n, edges, source, undirected, targets, bound, budgets, chunk }) => {
      const csr = csrOf({ n, edges }, undirected ? 'undirected' : 'directed');
      const scale = csr.weightScale();
      const width = bucketWidth(scale);
      if (width === undefined) return true;
      const index = (id: number): number => csr.indexOf(id)!;
      const targetIndices = targets === null ? null : Int32Array.from(targets, index);
      const runTo = (chunkSize: number): BucketRun => {
        const r = new BucketRun(csr, scratch, index(source), bound, targetIndices, scale, width, chunkSize);
        for (let step = 0; !r.step(budgets[step % budgets.length]!); step++);
        return r;
      };
      const one = runTo(1);
      const chunked = runTo(chunk);
      const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
        a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));
      return (
        one.settled === chunked.settled &&
        same(one.order.subarray(0, one.settled), chunked.order.subarray(0, chunked.settled)) &&
        same(one.distance, chunked.distance) &&
        same(one.parent, chunked.parent) &&
        one.complete === chunked.complete
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('a bucket run that stops at its last target mid-chunk relaxed the nodes settled before it: not complete', (t) => {
  // 0 -> 1 and 0 -> 2 (the target) share a bucket; 1 -> 3 is all that is left once 2 settles.
  const g: SmallGraph = {
    n: 4,
    edges: [
      { source: 0, target: 1, weight: 1 },
      { source: 0, target: 2, weight: 1 },
      { source: 1, target: 3, weight: 1 },
    ],
  };
  const csr = csrOf(g, 'directed');
  const scale = csr.weightScale();
  for (const chunk of [1, SETTLE_CHUNK]) {
    const r = new BucketRun(
      csr,
      new DijkstraScratch(),
      csr.indexOf(0)!,
      Infinity,
      Int32Array.of(csr.indexOf(2)!),
      scale,
      bucketWidth(scale)!,
      chunk,
    );
    t.true(r.step(Infinity));
    t.deepEqual(
      Array.from(r.order.subarray(0, r.settled), (i) => csr.idOf[i]),
      [0, 1, 2],
      `chunk ${chunk}`,
    );
    t.false(r.complete, `chunk ${chunk}: node 3 was queued and left out`);
    t.is(r.distance[csr.indexOf(3)!], Infinity);
  }
});

// A worked example: a diamond with a cheap detour and an isolated node.
//   0 -1-> 1 -1-> 3,  0 -5-> 3,  0 -2-> 2 -2-> 3,  3 -1-> 4,  5 alone
const diamond: SmallGraph = {
  n: 6,
  edges: [
    { source: 0, target: 1, weight: 1 },
    { source: 1, target: 3, weight: 1 },
    { source: 0, target: 3, weight: 5 },
    { source: 0, target: 2, weight: 2 },
    { source: 2, target: 3, weight: 2 },
    { source: 3, target: 4, weight: 1 },
  ],
};

test('diamond: distances, paths, and the isolated node', (t) => {
  const r = run(diamond, false, 0);
  t.deepEqual(Array.from(r.distance), [0, 1, 2, 2, 3, Infinity]);
  t.deepEqual(pathTo(r, 4), [0, 1, 3, 4]);
  t.deepEqual(pathTo(r, 2), [0, 2]);
  t.is(pathTo(r, 5), null);
  t.is(distanceTo(r, 5), Infinity);
  t.is(distanceTo(r, 3), 2);
  t.deepEqual(pathTo(r, 0), [0]);
});

test('diamond: a target stops the run early and leaves farther nodes out', (t) => {
  const r = run(diamond, false, 0, { targets: [1] });
  t.false(r.complete);
  t.is(r.distance[1], 1);
  t.deepEqual(Array.from(r.order), [0, 1]);
  t.is(r.distance[3], Infinity, 'node 3 was queued with an upper bound only: not reported');
  t.is(r.parent[3], -1);
});

test('diamond: three targets at once, one of them unreachable', (t) => {
  const r = run(diamond, false, 0, { targets: [4, 2, 5] });
  t.is(r.distance[4], 3);
  t.is(r.distance[2], 2);
  t.is(r.distance[5], Infinity);
  t.true(r.complete, 'an unreachable target means the whole component was settled');
});

test('diamond: undirected reading reaches backwards', (t) => {
  const r = run(diamond, true, 4);
  t.deepEqual(Array.from(r.distance), [3, 2, 3, 1, 0, Infinity]);
});
