import test from 'ava';
import fc from 'fast-check';
import { dequantiseInto } from '../../src/protocol/position/dequantise.ts';

// The WebAssembly kernel and the JavaScript loop must agree to the bit: the encoder's mirror of
// what a subscriber holds is computed with one, the subscriber may use the other.
test('WebAssembly and JavaScript dequantising agree bit for bit, every size and box', (t) => {
  const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 5000 }),
      fc.tuple(f32, f32, f32),
      fc.tuple(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 1e-3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      fc.integer(),
      (nodes, [mx, my, mz], [sx, sy, sz], seed) => {
        let s = seed >>> 0 || 1;
        const q = Uint16Array.from({ length: 3 * nodes }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 16);
        const a = new Float32Array(3 * nodes);
        const b = new Float32Array(3 * nodes);
        dequantiseInto(q, mx, my, mz, sx, sy, sz, a, 'wasm');
        dequantiseInto(q, mx, my, mz, sx, sy, sz, b, 'js');
        for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return false;
        // and the definition itself, spot-checked
        return nodes === 0 || a[3 * nodes - 1] === Math.fround(mz + q[3 * nodes - 1]! * sz);
      },
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('a 100k-node keyframe takes the WebAssembly path and lands whole', (t) => {
  const n = 100_001;
  const q = Uint16Array.from({ length: 3 * n }, (_, i) => (i * 40503) & 0xffff);
  const out = new Float32Array(3 * n).fill(NaN);
  dequantiseInto(q, -1, -2, -3, 0.5, 0.25, 0.125, out);
  t.true(out.every((v) => Number.isFinite(v)));
  t.is(out[3 * n - 3], -1 + q[3 * n - 3]! * 0.5);
  t.throws(() => dequantiseInto(q, 0, 0, 0, 1, 1, 1, new Float32Array(3)), { instanceOf: RangeError });
});
