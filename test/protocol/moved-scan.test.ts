import test from 'ava';
import fc from 'fast-check';
import { JsMovedScanner, WasmMovedScanner, createMovedScanner } from '../../src/protocol/position/moved-scan.ts';
import { PositionStreamEncoder } from '../../src/protocol/index.ts';

/** The definition, written the plain way: a float32 difference above the float32 threshold on some axis. */
function reference(positions: Float32Array, sent: Float32Array, t: number): number[] {
  const t32 = Math.fround(t);
  const out: number[] = [];
  for (let i = 0; i < positions.length / 3; i++) {
    let moved = false;
    for (let a = 0; a < 3; a++) moved ||= Math.abs(Math.fround(positions[3 * i + a]! - sent[3 * i + a]!)) > t32;
    if (moved) out.push(i);
  }
  return out;
}

// Values that sit on the edges: exact threshold hits, signed zeros, NaN, infinities, huge and tiny.
const edgy = fc.oneof(
  fc.float({ noDefaultInfinity: false }),
  fc.constantFrom(0, -0, 0.5, -0.5, 1, -1, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45),
);

const scene = fc.integer({ min: 0, max: 41 }).chain((n) =>
  fc.record({
    positions: fc.array(edgy, { minLength: 3 * n, maxLength: 3 * n }),
    // sent: mostly the positions nudged by about the threshold, so both answers occur
    nudges: fc.array(fc.oneof(fc.constant(0), fc.double({ min: -1, max: 1, noNaN: true }), edgy), { minLength: 3 * n, maxLength: 3 * n }),
    t: fc.oneof(fc.constantFrom(0, 0.5, 1e-7), fc.double({ min: 0, max: 2, noNaN: true })),
  }),
);

test('the WebAssembly kernel is available under Node 20 and chosen by default', (t) => {
  t.true(createMovedScanner(4) instanceof WasmMovedScanner);
  t.true(createMovedScanner(4, 'js') instanceof JsMovedScanner);
});

test('WebAssembly and JavaScript scanners find exactly the reference set, edge values included', (t) => {
  const wasm = createMovedScanner(1, 'wasm');
  const js = createMovedScanner(1, 'js');
  fc.assert(
    fc.property(scene, ({ positions, nudges, t: threshold }) => {
      const p = Float32Array.from(positions);
      const s = p.map((v, j) => v + nudges[j]!);
      const n = p.length / 3;
      const want = reference(p, s, threshold);
      for (const scanner of [wasm, js]) {
        scanner.resize(n);
        scanner.sent.set(s);
        const m = scanner.scan(p, threshold);
        const got = Array.from(scanner.moved.subarray(0, m));
        if (got.length !== want.length || got.some((v, k) => v !== want[k])) return false;
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('resizing up and down keeps the scanner exact (views follow the grown memory)', (t) => {
  const scanner = createMovedScanner(3, 'wasm');
  for (const n of [3, 70_000, 5, 200_003, 1]) {
    scanner.resize(n);
    const p = Float32Array.from({ length: 3 * n }, (_, j) => (j % 7) - 3);
    scanner.sent.set(p);
    p[3 * (n - 1) + 2] = 1e3; // only the last node moves: exercises the scalar tail and the last group
    const m = scanner.scan(p, 0.25);
    t.is(m, 1);
    t.is(scanner.moved[0], n - 1);
  }
});

test('encoders on either scanner emit byte-identical streams', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.array(fc.double({ min: 0, max: 0.3, noNaN: true }), { minLength: 2, maxLength: 12 }),
      fc.integer(),
      (n, moves, seed) => {
        let s = seed >>> 0 || 1;
        const rand = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
        const positions = Float32Array.from({ length: 3 * n }, () => (rand() - 0.5) * 200);
        const a = new PositionStreamEncoder({ kernels: 'wasm', keyframeInterval: 5 });
        const b = new PositionStreamEncoder({ kernels: 'js', keyframeInterval: 5 });
        for (const share of moves) {
          for (let j = 0; j < positions.length; j++) if (rand() < share) positions[j]! += (rand() - 0.5) * 2;
          const fa = a.encode({ epoch: 1, positions });
          const fb = b.encode({ epoch: 1, positions });
          if ((fa === null) !== (fb === null)) return false;
          if (fa !== null && fb !== null && !Buffer.from(fa).equals(Buffer.from(fb))) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
