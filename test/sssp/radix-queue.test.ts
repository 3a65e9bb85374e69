// The radix queue against a sort: under Dijkstra's use (every key pushed is >= the last key
// popped) it hands out keys in nondecreasing order, each entry once, across the whole range of
// non-negative doubles (zero, subnormals, integers, fractions, huge values, Infinity).
import test from 'ava';
import fc from 'fast-check';
import { RadixQueue } from '../../src/sssp/radix-queue.ts';

const increment = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 100 }),
  fc.double({ min: 0, max: 100, noNaN: true }),
  fc.double({ min: 0, max: 1e-300, noNaN: true }),
  fc.double({ min: 0, max: 1e300, noNaN: true }),
  fc.constant(Infinity),
);

// A script of operations: push `last + increment` (as Dijkstra pushes du + w), or pop.
const script = fc.array(
  fc.oneof(
    increment.map((w) => ({ push: w })),
    fc.constant({ push: -1 }),
  ),
  { maxLength: 300 },
);

test('pops come out in nondecreasing key order, each pushed entry exactly once, with `last` its key', (t) => {
  const queue = new RadixQueue();
  fc.assert(
    fc.property(script, (ops) => {
      queue.reset();
      const pending: { node: number; key: number }[] = [];
      let last = 0;
      let next = 0;
      const popOne = (): boolean => {
        const node = queue.pop();
        const at = pending.findIndex((e) => e.node === node);
        if (at < 0) return false;
        const [entry] = pending.splice(at, 1);
        if (entry!.key !== queue.last || pending.some((e) => e.key < entry!.key) || entry!.key < last) return false;
        last = entry!.key;
        return true;
      };
      for (const op of ops) {
        if (op.push < 0) {
          if (pending.length > 0 && !popOne()) return false;
          continue;
        }
        const key = last + op.push;
        pending.push({ node: next, key });
        queue.push(next++, key);
      }
      while (pending.length > 0) if (!popOne()) return false;
      return queue.size === 0;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('forEach lists exactly the entries still queued', (t) => {
  const queue = new RadixQueue();
  for (let i = 0; i < 50; i++) queue.push(i, (i * 37) % 11);
  for (let i = 0; i < 20; i++) queue.pop();
  const seen: number[] = [];
  queue.forEach((node, key) => {
    t.is(key, (node * 37) % 11);
    seen.push(node);
  });
  t.is(seen.length, 30);
  t.is(queue.size, 30);
});
