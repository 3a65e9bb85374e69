// The layout store: dense slots under adds and removes, epochs, springs from edges, weights sanitised.
import test from 'ava';
import { Layout, sanitizeWeight } from '../../src/physics/layout.ts';
import { DEFAULT_PARAMS } from '../../src/physics/params.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';

test('removing swaps the last node into the hole; ids, positions and pins follow; the epoch moves', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([0, 1, 2, 3].map((id) => ({ id, kind: 'knowledge' as const, position: { x: id, y: 0, z: 0 } })));
  layout.pin(3);
  const epoch = layout.epoch;
  layout.removeNodes([1]);
  t.is(layout.n, 3);
  t.true(layout.epoch > epoch);
  t.deepEqual(layout.nodeIds(), [0, 3, 2]);
  t.deepEqual(layout.position(3), { x: 3, y: 0, z: 0 });
  t.is(layout.buffers.pinned[layout.slot(3)!], 1);
  t.false(layout.has(1));
});

test('nodes without a position get distinct finite ones; capacity grows without losing state', (t) => {
  const layout = new Layout(mulberry32(2), 10);
  layout.addNodes([{ id: 7, kind: 'knowledge', position: { x: 1, y: 2, z: 3 } }]);
  const generation = layout.buffers.generation;
  layout.addNodes(
    Array.from({ length: 1000 }, (_, i) => ({
      id: 100 + i,
      kind: 'knowledge' as const,
      position: i === 0 ? { x: NaN, y: 0, z: 0 } : undefined,
    })),
  );
  t.true(layout.buffers.generation > generation);
  t.deepEqual(layout.position(7), { x: 1, y: 2, z: 3 });
  const seen = new Set<string>();
  for (const id of layout.nodeIds()) {
    const p = layout.position(id)!;
    t.true(Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.z));
    seen.add(`${p.x},${p.y},${p.z}`);
  }
  t.is(seen.size, 1001);
});

test('springs: both directions, self loops and dangling edges skipped, weights clamped', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([1, 2, 3].map((id) => ({ id, kind: 'knowledge' as const })));
  layout.addEdges([
    { id: 1n, source: 1, target: 2, weight: 1 },
    { id: 2n, source: 2, target: 2, weight: 1 },
    { id: 3n, source: 3, target: 99, weight: 1 },
    { id: 4n, source: 2, target: 3, weight: Infinity },
  ]);
  const b = layout.prepare(DEFAULT_PARAMS);
  t.is(layout.springs, 4);
  t.is(b.springStart[layout.n], 4);
  for (let e = 0; e < 4; e++) t.true(Number.isFinite(b.springK[e]!) && b.springK[e]! >= 0);
  layout.removeEdges([4n]);
  layout.prepare(DEFAULT_PARAMS);
  t.is(layout.springs, 2);
  t.is(sanitizeWeight(NaN, 100), 1);
  t.is(sanitizeWeight(-1, 100), 0);
  t.is(sanitizeWeight(Infinity, 100), 100);
});

test('snapshots are copies with the id table of their epoch', (t) => {
  const layout = new Layout(mulberry32(1), 10);
  layout.addNodes([5, 6].map((id) => ({ id, kind: 'knowledge' as const, position: { x: id, y: 0, z: 0 } })));
  const s = layout.snapshot(0);
  layout.moveNodes([{ id: 5, position: { x: 50, y: 0, z: 0 } }]);
  t.deepEqual(Array.from(s.ids), [5, 6]);
  t.is(s.positions[0], 5);
  t.is(layout.snapshot(1).ids, layout.snapshot(2).ids, 'one id table per epoch');
});
