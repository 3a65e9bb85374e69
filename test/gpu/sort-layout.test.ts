// The physics sort's buffers are sized from the layout's capacity and launched for the current node
// count: every launch size must grow with the node count, or some n below the capacity launches
// past the buffers' end (a chunk size that grows with n, for one, makes the thread count drop just
// above 262,144 nodes).
import test from 'ava';
import fc from 'fast-check';
import { sortLayout } from '../../src/gpu/physics-engine.ts';

test('every sort buffer sized for a capacity holds the launch at any node count up to it', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4_000_000 }), fc.integer({ min: 1, max: 4_000_000 }), (a, b) => {
      const [n, capacity] = a <= b ? [a, b] : [b, a];
      const at = sortLayout(n);
      const cap = sortLayout(capacity);
      return (
        at.tiles <= cap.tiles &&
        at.hist <= cap.hist &&
        at.scanLevels.length <= cap.scanLevels.length &&
        at.scanLevels.every((len, i) => len <= cap.scanLevels[i]!)
      );
    }),
  );
  for (const [n, capacity] of [
    [262_144, 271_625],
    [262_145, 271_625],
    [1, 1],
    [1_000_000, 1_500_000],
  ]) {
    t.true(sortLayout(n!).hist <= sortLayout(capacity!).hist);
  }
  t.deepEqual(sortLayout(1_000_000), { tiles: 977, hist: 250_112, scanLevels: [245, 1] });
});
