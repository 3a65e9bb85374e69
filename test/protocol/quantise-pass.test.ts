import test from 'ava';
import fc from 'fast-check';
import { quantisePass } from '../../src/protocol/position/quantise-all.ts';

// The keyframe pass on the WebAssembly kernel and on the JavaScript loop: the same tight box, the
// same "inside" answer (NaN included), and the same 16-bit values wherever they are used (every
// value inside the quantisation box).
const value = fc.oneof(
  { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -1000, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, 1e-45, -1e-45, 1000, -1000, 2000) },
);

test('WebAssembly and JavaScript keyframe passes agree: q, tight box, inside', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 50 }).chain((n) => fc.array(value, { minLength: 3 * n, maxLength: 3 * n })),
      fc.constantFrom(0, 12, 4096, 5000),
      (values, pad) => {
        // pad with in-range values so that some cases are big enough for the kernel's main loop
        const v = Float32Array.from([...values, ...Array.from({ length: 3 * pad }, (_, i) => ((i * 37) % 1999) - 999)]);
        const box = Float64Array.of(-1000, -1000, -1000, 1000, 1000, 1000);
        const check = Float64Array.of(-999.5, -1000, -1000, 1000, 999.5, 1000);
        const qa = new Uint16Array(v.length),
          qb = new Uint16Array(v.length);
        const a = quantisePass(v, box, check, qa, 'wasm');
        const b = quantisePass(v, box, check, qb, 'js');
        if (a.inside !== b.inside) return false;
        if (!a.tight.every((x, i) => x === b.tight[i])) return false; // === treats 0 and -0 alike
        for (let j = 0; j < v.length; j++) {
          const inBox = v[j]! >= -1000 && v[j]! <= 1000;
          if (inBox && qa[j] !== qb[j]) return false;
        }
        return true;
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('the pass quantises to the nearest step and finds the tight box', (t) => {
  const n = 10_001; // the kernel's main loop and a JavaScript tail
  const v = Float32Array.from({ length: 3 * n }, (_, j) => (j % 3 === 0 ? j / 30 : j % 3 === 1 ? -j / 60 : 5));
  const box = Float64Array.of(0, -600, 0, 1000.1, 0, 10);
  const q = new Uint16Array(v.length);
  const r = quantisePass(v, box, box, q);
  t.true(r.inside);
  t.deepEqual(Array.from(r.tight), [0, Math.fround(-(3 * n - 2) / 60), 5, Math.fround((3 * n - 3) / 30), Math.fround(-1 / 60), 5]);
  for (const j of [0, 3, 30_000, 30_001, 30_002]) {
    const a = j % 3;
    t.is(q[j], Math.floor(((v[j]! - box[a]!) * 65535) / (box[a + 3]! - box[a]!) + 0.5));
  }
  t.false(quantisePass(v, box, Float64Array.of(0, -600, 0, 1000, 0, 4), q).inside, 'z = 5 is outside a check box ending at 4');
});
