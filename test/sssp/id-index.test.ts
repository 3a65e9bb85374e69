// The typed-array hash index against a Map, over random scripts of sets, gets and deletes with keys
// that collide on purpose (small ranges, strides, ids above 2^32), growing through several sizes.
import test from 'ava';
import fc from 'fast-check';
import { IdIndex } from '../../src/sssp/id-index.ts';

const key = fc.oneof(
  fc.nat(64),
  fc.nat(2000).map((k) => k * 1024),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.nat(100).map((k) => 2 ** 32 + k),
  fc.constant(0xffffffff),
);
const op = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.nat(2 ** 31 - 1) }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('get' as const), key }),
);

test('behaves as a Map through random sets, deletes and gets', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const index = new IdIndex(2);
      const map = new Map<number, number>();
      for (const o of ops) {
        if (o.op === 'set') {
          index.set(o.key, o.value);
          map.set(o.key, o.value);
        } else if (o.op === 'delete') {
          if (index.delete(o.key) !== map.delete(o.key)) return false;
        } else if (index.get(o.key) !== (map.get(o.key) ?? -1)) return false;
        if (index.size !== map.size) return false;
      }
      for (const [k, v] of map) if (index.get(k) !== v) return false;
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('a million consecutive ids, then every other one deleted', (t) => {
  const index = new IdIndex();
  for (let k = 0; k < 1_000_000; k++) index.set(k, k);
  for (let k = 0; k < 1_000_000; k += 2) index.delete(k);
  t.is(index.size, 500_000);
  let wrong = 0;
  for (let k = 0; k < 1_000_000; k++) if (index.get(k) !== (k % 2 === 1 ? k : -1)) wrong++;
  t.is(wrong, 0);
  index.clear();
  t.is(index.get(7), -1);
  t.is(index.size, 0);
});
