// The ring buffer: FIFO across wrap-around, grows by doubling up to its limit and never beyond.
import test from 'ava';
import fc from 'fast-check';
import { RingBuffer } from '../../src/runtime/ring-buffer.ts';

/** Allocated slots, to check growth; the buffer does not expose it. */
const allocated = (rb: RingBuffer<unknown>): number => (rb as unknown as { slots: unknown[] }).slots.length;

test('FIFO across wrap-around', (t) => {
  const rb = new RingBuffer<number>(24, 4);
  const out: number[] = [];
  let next = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 3; i++) t.true(rb.push(next++));
    for (let i = 0; i < 2; i++) out.push(rb.shift()!);
  }
  out.push(...rb.clear());
  t.deepEqual(out, [...Array(60).keys()]);
  t.is(rb.size, 0);
  t.is(rb.shift(), undefined);
  t.is(rb.peek(), undefined);
});

test('grows by doubling up to the limit and never beyond', (t) => {
  const rb = new RingBuffer<number>(100, 16);
  t.is(allocated(rb), 16);
  const seen: number[] = [];
  for (let i = 0; i < 100; i++) {
    t.true(rb.push(i));
    if (seen.at(-1) !== allocated(rb)) seen.push(allocated(rb));
  }
  t.deepEqual(seen, [16, 32, 64, 100]);
  t.true(rb.isFull);
  t.false(rb.push(100), 'a push beyond the limit is refused');
  t.is(rb.size, 100);
  t.is(allocated(rb), 100);
  t.deepEqual(rb.clear(), [...Array(100).keys()], 'the refused item was not stored');
});

test('an initial capacity above the limit is clamped to it', (t) => {
  const rb = new RingBuffer<string>(3, 16);
  t.is(allocated(rb), 3);
  t.true(rb.push('a') && rb.push('b') && rb.push('c'));
  t.false(rb.push('d'));
  t.is(rb.peek(), 'a');
});

test('rejects a limit that is not a positive integer', (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => new RingBuffer(bad), { instanceOf: RangeError });
});

test('model: behaves like a bounded array queue', (t) => {
  const op = fc.oneof(fc.record({ push: fc.integer() }), fc.constant('shift' as const), fc.constant('clear' as const));
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(op, { maxLength: 300 }),
      (limit, initial, ops) => {
        const rb = new RingBuffer<number>(limit, initial);
        const model: number[] = [];
        for (const o of ops) {
          if (o === 'shift') {
            if (rb.shift() !== model.shift()) return false;
          } else if (o === 'clear') {
            if (JSON.stringify(rb.clear()) !== JSON.stringify(model.splice(0))) return false;
          } else {
            const accepted = model.length < limit;
            if (accepted) model.push(o.push);
            if (rb.push(o.push) !== accepted) return false;
          }
          if (rb.size !== model.length || rb.peek() !== model[0] || allocated(rb) > limit) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});
