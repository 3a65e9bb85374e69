// The CRDT laws, as properties: register and map merge are commutative, associative and
// idempotent; HLC stamps only grow; replicas that see the same writes in any order converge.
import test from 'ava';
import fc from 'fast-check';
import { compareHlc, HybridClock, ClockSkewError, type Hlc } from '../../src/crdt/hlc.ts';
import { LwwMap } from '../../src/crdt/lww-map.ts';
import { mergeRegister, type LwwRegister } from '../../src/crdt/lww-register.ts';

// Small ranges on purpose: equal stamps (and ties broken by value) must come up often.
const hlc = fc.record({
  wallMs: fc.integer({ min: 0, max: 3 }),
  logical: fc.integer({ min: 0, max: 2 }),
  node: fc.integer({ min: 0, max: 2 }),
});
const value = fc.option(fc.record({ title: fc.string({ maxLength: 3 }), w: fc.integer({ min: 0, max: 3 }) }), { nil: undefined });
const register = fc.record({ stamp: hlc, value });

type Reg = LwwRegister<{ title: string; w: number }>;

test('register merge is commutative, associative and idempotent', (t) => {
  fc.assert(
    fc.property(register, register, register, (a: Reg, b: Reg, c: Reg) => {
      t.deepEqual(mergeRegister(a, b), mergeRegister(b, a));
      t.deepEqual(mergeRegister(mergeRegister(a, b), c), mergeRegister(a, mergeRegister(b, c)));
      t.deepEqual(mergeRegister(a, a), a);
    }),
    { numRuns: 500 },
  );
});

const writes = fc.array(fc.record({ key: fc.integer({ min: 0, max: 4 }), reg: register }), { maxLength: 20 });

function mapOf(ws: readonly { key: number; reg: Reg }[]): LwwMap<number, { title: string; w: number }> {
  const m = new LwwMap<number, { title: string; w: number }>();
  for (const w of ws) m.apply(w.key, w.reg);
  return m;
}

function contents<T>(m: LwwMap<number, T>): [number, unknown][] {
  return [...m.entries()].sort((x, y) => x[0] - y[0]);
}

test('map merge is commutative, associative and idempotent', (t) => {
  fc.assert(
    fc.property(writes, writes, writes, (wa, wb, wc) => {
      const ab = mapOf(wa);
      ab.merge(mapOf(wb));
      const ba = mapOf(wb);
      ba.merge(mapOf(wa));
      t.deepEqual(contents(ab), contents(ba));
      const abc1 = mapOf(wa);
      abc1.merge(mapOf(wb));
      abc1.merge(mapOf(wc));
      const bc = mapOf(wb);
      bc.merge(mapOf(wc));
      const abc2 = mapOf(wa);
      abc2.merge(bc);
      t.deepEqual(contents(abc1), contents(abc2));
      const aa = mapOf(wa);
      aa.merge(mapOf(wa));
      t.deepEqual(contents(aa), contents(mapOf(wa)));
    }),
    { numRuns: 300 },
  );
});

test('replicas receiving the same writes in any order converge (tombstones included)', (t) => {
  fc.assert(
    fc.property(writes, fc.array(fc.nat(), { maxLength: 20 }), (ws, perm) => {
      const shuffled = [...ws];
      perm.forEach((p, i) => {
        if (shuffled.length === 0) return;
        const j = p % shuffled.length;
        const k = i % shuffled.length;
        [shuffled[j], shuffled[k]] = [shuffled[k]!, shuffled[j]!];
      });
      t.deepEqual(contents(mapOf(ws)), contents(mapOf(shuffled)));
    }),
    { numRuns: 300 },
  );
});

test('an HLC never goes backwards, whatever the wall clock and remote stamps do', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ wall: fc.integer({ min: 0, max: 50 }) }), fc.record({ remote: hlc })), { maxLength: 40 }),
      (steps) => {
        let wall = 0;
        const clock = new HybridClock(7, () => wall, 1_000);
        let last: Hlc | undefined;
        for (const s of steps) {
          if ('wall' in s) wall = s.wall;
          else clock.observe(s.remote);
          const now = clock.tick();
          if (last !== undefined) t.true(compareHlc(now, last) > 0);
          last = now;
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a remote stamp too far in the future is refused', (t) => {
  const clock = new HybridClock(1, () => 1_000, 100);
  t.throws(() => clock.observe({ wallMs: 5_000, logical: 0, node: 2 }), { instanceOf: ClockSkewError });
  t.notThrows(() => clock.observe({ wallMs: 1_050, logical: 3, node: 2 }));
  t.deepEqual(clock.tick(), { wallMs: 1_050, logical: 4, node: 1 });
});
