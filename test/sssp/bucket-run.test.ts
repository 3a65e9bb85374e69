// The pieces of the bucket queue: the weight scale a graph keeps up to date as edges come and go
// (a power of two at most the smallest weight, one above the largest), and the ring's search for
// the next non-empty bucket, against plain loops.
import test from 'ava';
import fc from 'fast-check';
import { BucketRing, MAX_RING } from '../../src/sssp/bucket-ring.ts';
import { bucketWidth } from '../../src/sssp/bucket-run.ts';
import { WeightExponents } from '../../src/sssp/weight-scale.ts';
import { csrOf } from './support/build.ts';

const positive = fc.oneof(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), fc.integer({ min: 1, max: 1000 }));

test('the weight scale brackets the live weights through additions and removals', (t) => {
  fc.assert(
    fc.property(fc.array(positive, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), (weights, removals) => {
      const exponents = new WeightExponents();
      const live = [...weights];
      for (const w of live) exponents.add(w, 1);
      for (const r of removals) {
        if (live.length === 1) break;
        const [w] = live.splice(r % live.length, 1);
        exponents.add(w!, -1);
      }
      const scale = exponents.scale()!;
      const min = Math.min(...live);
      const max = Math.max(...live);
      const isPow2 = (x: number): boolean => Math.log2(x) === Math.round(Math.log2(x));
      return (
        isPow2(scale.floor) &&
        scale.floor <= min &&
        2 * scale.floor > min &&
        isPow2(scale.ceil) &&
        scale.ceil > max &&
        scale.ceil <= 2 * max &&
        !scale.zero
      );
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('zero, infinite and bad weights: zero is flagged, the others are left out of the scale', (t) => {
  const e = new WeightExponents();
  t.is(e.scale(), undefined);
  e.add(Infinity, 1);
  e.add(Number.NaN, 1);
  e.add(-3, 1);
  t.is(e.scale(), undefined, 'no finite weight');
  e.add(0, 1);
  t.deepEqual(e.scale(), { floor: 0, ceil: 0, zero: true }, 'zeros alone');
  t.is(bucketWidth(e.scale()), undefined, 'zeros alone take the radix queue');
  e.add(0, -1);
  e.add(3, 1);
  e.add(0, 1);
  t.deepEqual(e.scale(), { floor: 2, ceil: 4, zero: true });
  e.add(0, -1);
  t.deepEqual(e.scale(), { floor: 2, ceil: 4, zero: false });
});

test('the graph keeps its weight scale through weight changes and edge removals', (t) => {
  const csr = csrOf(
    {
      n: 3,
      edges: [
        { source: 0, target: 1, weight: 0.75 },
        { source: 1, target: 2, weight: 40 },
      ],
    },
    'directed',
  );
  t.deepEqual(csr.weightScale(), { floor: 0.5, ceil: 64, zero: false });
  csr.apply({ type: 'edge-weights-changed', version: 2, edges: [{ id: 0n, weight: 0 }] });
  t.is(bucketWidth(csr.weightScale()), undefined, 'a zero weight rules the buckets out');
  csr.apply({ type: 'edges-removed', version: 3, ids: [0n] });
  t.deepEqual(csr.weightScale(), { floor: 32, ceil: 64, zero: false });
  t.is(bucketWidth(csr.weightScale()), 32);
});

test('weights spread wider than the ring go to the radix queue', (t) => {
  t.is(bucketWidth({ floor: 1, ceil: MAX_RING / 2, zero: false }), 1);
  t.is(bucketWidth({ floor: 1, ceil: MAX_RING, zero: false }), undefined);
  t.is(bucketWidth({ floor: 0, ceil: 4, zero: false }), undefined, 'subnormal minimum');
});

test('the ring finds the next non-empty bucket going round, from any bucket', (t) => {
  const ring = new BucketRing();
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((bits) =>
        fc.record({
          size: fc.constant(2 ** bits),
          filled: fc.uniqueArray(fc.nat(2 ** bits - 1), { minLength: 1, maxLength: 20 }),
          from: fc.nat(2 ** bits - 1),
        }),
      ),
      ({ size, filled, from }) => {
        ring.reset(size);
        for (const b of filled) if (b !== from) ring.push(b, b);
        if (ring.size === 0) return true;
        let expected = 1;
        while (ring.length((from + expected) % size) === 0) expected++;
        return ring.distanceToNext(from) === expected;
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});
