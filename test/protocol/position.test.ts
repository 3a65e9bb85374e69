import test from 'ava';
import fc from 'fast-check';
import {
  PositionStreamEncoder,
  PositionStreamReader,
  applyFrame,
  decodeFrame,
  forEachEntry,
  quantisationErrorBound,
  wireKind,
  type PositionFrame,
} from '../../src/protocol/index.ts';

function frameOf(bytes: Uint8Array | null): PositionFrame {
  if (bytes === null) throw new Error('no frame');
  const r = decodeFrame(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function randomPositions(n: number, seed: number, scale = 100): Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale;
  return Float32Array.from({ length: 3 * n }, next);
}

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });

test('keyframe quantisation error <= box extent / 65535 / 2 per axis (plus float32 rounding)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(f32, f32, f32), { minLength: 1, maxLength: 200 }), (points) => {
      const enc = new PositionStreamEncoder();
      const first = Float32Array.from(points.flat());
      // The second keyframe may reuse the first one's (grown) box: the bound holds for either.
      for (const positions of [first, first.map((v) => v * 0.999)]) {
        enc.forceKeyframe();
        const frame = frameOf(enc.encode({ epoch: 1, positions }));
        const out = new Float32Array(positions.length);
        applyFrame(frame, out);
        for (let a = 0; a < 3; a++) {
          const bound = quantisationErrorBound(frame.box[a]!, frame.box[a + 3]!);
          for (let j = a; j < positions.length; j += 3) {
            if (Math.abs(out[j]! - positions[j]!) > bound) return false;
          }
        }
        if (!out.every((v, j) => v === enc.reconstructed[j])) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('keyframe costs 6 bytes per node plus a 48-byte header; velocities only when asked', (t) => {
  const positions = randomPositions(1000, 1);
  const velocities = randomPositions(1000, 2, 1);
  t.is(new PositionStreamEncoder().encode({ epoch: 0, positions, velocities })!.length, 48 + 6 * 1000);
  const withV = new PositionStreamEncoder({ velocity: true }).encode({ epoch: 0, positions, velocities })!;
  t.is(withV.length, 72 + 12 * 1000);
  const reader = new PositionStreamReader(true);
  reader.setIdTable(0, 1000);
  t.is(wireKind(withV), 'position-frame');
  const r = reader.accept(withV);
  t.true(r.ok && r.value.status === 'applied');
  const bound = quantisationErrorBound(-0.5, 0.5);
  for (let j = 0; j < velocities.length; j++) t.true(Math.abs(reader.velocities![j]! - velocities[j]!) <= bound);
});

test('decoding returns views onto the received bytes, no copy', (t) => {
  const bytes = new PositionStreamEncoder().encode({ epoch: 0, positions: randomPositions(10, 3) })!;
  const frame = frameOf(bytes);
  t.is(frame.positions.buffer, bytes.buffer);
  t.is(frame.box.buffer, bytes.buffer);
  t.false(frame.copied);
});

test('delta carries only nodes that moved more than the threshold, against what the client holds', (t) => {
  const n = 100;
  const positions = randomPositions(n, 4);
  const enc = new PositionStreamEncoder({ threshold: 0.5, keyframeInterval: 1000 });
  const reader = new PositionStreamReader();
  reader.setIdTable(0, n);
  reader.accept(enc.encode({ epoch: 0, positions })!);
  t.is(enc.encode({ epoch: 0, positions }), null, 'nothing moved: no frame');
  positions[3 * 7]! += 0.4; // below threshold
  positions[3 * 42 + 1]! += 0.6; // above
  positions[3 * 99 + 2]! -= 2;
  const delta = frameOf(enc.encode({ epoch: 0, positions }));
  t.is(delta.kind, 'delta');
  const moved: number[] = [];
  forEachEntry(delta, (i) => moved.push(i));
  t.deepEqual(moved, [42, 99]);
  // Slow drift accumulates against the reconstructed position and is sent once it passes the threshold.
  positions[3 * 7]! += 0.2;
  const drift = frameOf(enc.encode({ epoch: 0, positions }));
  const drifted: number[] = [];
  forEachEntry(drift, (i) => drifted.push(i));
  t.deepEqual(drifted, [7]);
});

test('reader reconstructs exactly what the encoder assumes, every node within the threshold', (t) => {
  const n = 500;
  const positions = randomPositions(n, 5);
  const enc = new PositionStreamEncoder({ keyframeInterval: 10, threshold: 0.05 });
  const reader = new PositionStreamReader();
  reader.setIdTable(0, n);
  let s = 9;
  for (let f = 0; f < 50; f++) {
    for (let j = 0; j < positions.length; j++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      if (s % 5 === 0) positions[j]! += ((s >>> 8) / 2 ** 24 - 0.5) * 0.3;
    }
    const bytes = enc.encode({ epoch: 0, positions });
    if (bytes === null) continue;
    const r = reader.accept(bytes);
    t.true(r.ok && r.value.status === 'applied');
    t.deepEqual(reader.positions, enc.reconstructed);
    for (let j = 0; j < positions.length; j++) t.true(Math.abs(reader.positions[j]! - positions[j]!) <= 0.05 + 1e-6);
  }
});

test('a keyframe at least every K frames', (t) => {
  const K = 7;
  const positions = randomPositions(50, 6);
  const enc = new PositionStreamEncoder({ keyframeInterval: K, threshold: 0.01 });
  const kinds: string[] = [];
  for (let f = 0; f < 40; f++) {
    positions[0]! += 1;
    kinds.push(frameOf(enc.encode({ epoch: 0, positions })).kind);
  }
  kinds.forEach((k, i) => t.is(k, i % K === 0 ? 'keyframe' : 'delta', `frame ${i}`));
});

test('after a gap the reader asks, forceKeyframe() answers, and the stream resynchronises', (t) => {
  const positions = randomPositions(200, 7);
  const enc = new PositionStreamEncoder({ keyframeInterval: 1000, threshold: 0.01 });
  const reader = new PositionStreamReader();
  reader.setIdTable(0, 200);
  t.is(reader.accept(enc.encode({ epoch: 0, positions })!).ok, true);
  positions[0]! += 1;
  enc.encode({ epoch: 0, positions }); // lost in transit
  positions[3]! += 1;
  const after = reader.accept(enc.encode({ epoch: 0, positions })!);
  t.true(after.ok && after.value.status === 'gap');
  enc.forceKeyframe();
  positions[6]! += 1;
  const key = enc.encode({ epoch: 0, positions })!;
  t.is(frameOf(key).kind, 'keyframe');
  const r = reader.accept(key);
  t.true(r.ok && r.value.status === 'applied');
  t.deepEqual(reader.positions, enc.reconstructed);
  positions[9]! += 1;
  const next = reader.accept(enc.encode({ epoch: 0, positions })!);
  t.true(next.ok && next.value.status === 'applied' && next.value.frame.kind === 'delta');
});

test('a new id table epoch forces a keyframe; the reader flags frames of another epoch', (t) => {
  const enc = new PositionStreamEncoder();
  const reader = new PositionStreamReader();
  reader.setIdTable(1, 10);
  t.is(frameOf(enc.encode({ epoch: 1, positions: randomPositions(10, 8) })).kind, 'keyframe');
  const next = enc.encode({ epoch: 2, positions: randomPositions(12, 8) })!;
  t.is(frameOf(next).kind, 'keyframe');
  const r = reader.accept(next);
  t.true(r.ok && r.value.status === 'stale-epoch');
});

test('delta indices: pages of u16 when few move, a bitmap when many do; both past 65536 nodes', (t) => {
  const n = 70_000;
  const positions = randomPositions(n, 10);
  for (const moveEvery of [1000, 3]) {
    const enc = new PositionStreamEncoder({ threshold: 0.001 });
    const reader = new PositionStreamReader();
    reader.setIdTable(0, n);
    reader.accept(enc.encode({ epoch: 0, positions })!);
    const expected: number[] = [];
    for (let i = 0; i < n; i += moveEvery) {
      positions[3 * i]! += 1;
      expected.push(i);
    }
    if (expected.at(-1) !== n - 1) expected.push(n - 1);
    positions[3 * (n - 1)]! += 1;
    const bytes = enc.encode({ epoch: 0, positions })!;
    const frame = frameOf(bytes);
    t.is(frame.bitmap !== null, moveEvery === 3);
    const moved: number[] = [];
    forEachEntry(frame, (i) => moved.push(i));
    t.deepEqual(moved, expected);
    t.true(bytes.length <= 48 + 8 * moved.length + 8, `${bytes.length} bytes for ${moved.length} moved`);
    reader.accept(bytes);
    t.deepEqual(reader.positions, enc.reconstructed);
  }
});

test('a delta is never bigger than a keyframe: when nearly every node moved, the keyframe goes instead', (t) => {
  const n = 3_353;
  const positions = randomPositions(n, 12);
  const enc = new PositionStreamEncoder({ threshold: 0.001, keyframeInterval: 1_000 });
  const reader = new PositionStreamReader();
  reader.setIdTable(0, n);
  reader.accept(enc.encode({ epoch: 0, positions })!);
  for (let j = 0; j < positions.length; j += 3) positions[j]! += 0.5;
  const all = enc.encode({ epoch: 0, positions })!;
  t.is(frameOf(all).kind, 'keyframe');
  t.is(all.length, 48 + 6 * n);
  t.is(reader.accept(all).ok, true);
  t.deepEqual(reader.positions, enc.reconstructed);
  // The next frame with one node moved is a delta again.
  positions[0]! += 1;
  t.is(frameOf(enc.encode({ epoch: 0, positions })).kind, 'delta');
});

test("property: every frame is at most a keyframe's size, and the reader stays exact", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3000 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 1e9 }),
      (n, fractions, seed) => {
        const positions = randomPositions(n, seed);
        const enc = new PositionStreamEncoder({ threshold: 0.001, keyframeInterval: 1_000 });
        const reader = new PositionStreamReader();
        reader.setIdTable(0, n);
        reader.accept(enc.encode({ epoch: 0, positions })!);
        let s = seed >>> 0 || 1;
        for (const fraction of fractions) {
          for (let i = 0; i < n; i++) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            if (s / 2 ** 32 < fraction) positions[3 * i + 1]! += 0.25;
          }
          const bytes = enc.encode({ epoch: 0, positions });
          if (bytes === null) continue;
          if (bytes.length > 48 + 6 * n) return false;
          if (frameOf(bytes).kind === 'delta' && bytes.length >= 48 + 6 * n) return false;
          if (!reader.accept(bytes).ok) return false;
          if (!reader.positions.every((v, j) => v === enc.reconstructed[j])) return false;
        }
        return true;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('a frame shorter than its header says is rejected, not read past', (t) => {
  const bytes = new PositionStreamEncoder({ velocity: true }).encode({
    epoch: 0,
    positions: randomPositions(4, 11),
    velocities: randomPositions(4, 12),
  })!;
  for (let n = 0; n < bytes.length; n++) {
    const r = decodeFrame(bytes.slice(0, n));
    t.false(r.ok);
    if (!r.ok) t.not(r.error.code, 'INTERNAL');
  }
  const misaligned = new Uint8Array(bytes.length + 1);
  misaligned.set(bytes, 1);
  const r = decodeFrame(misaligned.subarray(1));
  t.true(r.ok && r.value.copied);
});

test('a bounds hint from the producer is used when it holds every node and ignored when it does not', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(f32, f32, f32), { minLength: 1, maxLength: 100 }),
      fc.double({ min: 0.2, max: 3, noNaN: true }),
      (points, hintScale) => {
        const positions = Float32Array.from(points.flat());
        const box = [0, 1, 2].map((a) => {
          let lo = Infinity;
          let hi = -Infinity;
          for (let j = a; j < positions.length; j += 3) {
            lo = Math.min(lo, positions[j]!);
            hi = Math.max(hi, positions[j]!);
          }
          return [lo, hi] as const;
        });
        // Scaled about the centre: below 1 the hint misses nodes, above it is loose but valid.
        const hint = [0, 1, 2, 0, 1, 2].map((a, k) => {
          const [lo, hi] = box[a]!;
          const mid = (lo + hi) / 2;
          const half = ((hi - lo) / 2) * hintScale;
          return k < 3 ? mid - half : mid + half;
        });
        const enc = new PositionStreamEncoder();
        const frame = frameOf(enc.encode({ epoch: 0, positions, bounds: hint }));
        const out = new Float32Array(positions.length);
        applyFrame(frame, out);
        for (let a = 0; a < 3; a++) {
          const bound = quantisationErrorBound(frame.box[a]!, frame.box[a + 3]!);
          for (let j = a; j < positions.length; j += 3) if (Math.abs(out[j]! - positions[j]!) > bound) return false;
          // Every node lies inside the box the frame declares, whichever box was used.
          if (frame.box[a]! > box[a]![0] || frame.box[a + 3]! < box[a]![1]) return false;
        }
        return out.every((v, j) => v === enc.reconstructed[j]);
      },
    ),
    { numRuns: 300 },
  );
  t.throws(() => new PositionStreamEncoder().encode({ epoch: 0, positions: Float32Array.of(0, NaN, 0), bounds: [-1, -1, -1, 1, 1, 1] }), {
    instanceOf: RangeError,
  });
  t.pass();
});
