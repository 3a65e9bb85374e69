// SSSP frames: what goes in comes out (ids, parents, distances exactly for f64, within half a
// level for u16), paths as highlights, and untrusted bytes never crash the decoder: random buffers
// and mutations of valid frames come back as a frame or a typed ProtocolError, never INTERNAL.
import test from 'ava';
import fc from 'fast-check';
import { CpuSsspEngine } from '../../src/sssp/cpu-engine.ts';
import type { SsspResult } from '../../src/sssp/engine.ts';
import { decodeSsspFrame, distanceAt, distancesOf, isSsspFrame, type SsspFrame } from '../../src/sssp/frame/decoder.ts';
import { encodePathFrame, encodeTreeFrame } from '../../src/sssp/frame/encoder.ts';
import { NO_NODE, U16_LEVELS, type DistanceEncodingName } from '../../src/sssp/frame/header.ts';
import { pathTo } from '../../src/sssp/paths.ts';
import { barabasiAlbert } from './support/graphs.ts';
import { csrOf } from './support/build.ts';
import { DynamicCsr } from '../../src/sssp/csr.ts';

function resultOf(n: number, seed: number, source = 0, maxDistance?: number): SsspResult {
  const g = barabasiAlbert(n, 2, seed);
  const csr = new DynamicCsr('undirected');
  csr.load(
    7,
    Array.from(g.nodeIds, (i) => 1000 + i),
    Array.from(g.source, (i) => 1000 + i),
    Array.from(g.target, (i) => 1000 + i),
    g.weight,
  );
  const o = new CpuSsspEngine().runSync(csr, { source: 1000 + source, maxDistance });
  if (!o.ok) throw new Error(o.error.message);
  return o.result;
}

function decoded(bytes: Uint8Array | null): SsspFrame {
  if (bytes === null) throw new Error('no frame');
  const r = decodeSsspFrame(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const ENCODINGS: DistanceEncodingName[] = ['f64', 'f32', 'u16'];

test('tree frames round-trip ids, parents and distances in every encoding', (t) => {
  const r = resultOf(500, 1, 3, 150);
  for (const encoding of ENCODINGS) {
    const f = decoded(encodeTreeFrame(r, { seq: 9, encoding }));
    t.is(f.kind, 'tree');
    t.is(f.encoding, encoding);
    t.is(f.seq, 9);
    t.is(f.source, 1003);
    t.is(f.graphVersion, 7);
    t.is(f.bound, 150);
    t.true(f.complete && !f.gpu);
    t.is(f.sorted, r.sorted);
    t.is(f.count, r.order.length);
    t.is(f.target, undefined);
    for (let k = 0; k < f.count; k++) {
      const i = r.order[k]!;
      t.is(f.ids[k], r.ids[i]);
      t.is(f.parents![k], r.parent[i]! < 0 ? NO_NODE : r.ids[r.parent[i]!]);
      const d = distanceAt(f, k);
      const exact = r.distance[i]!;
      if (encoding === 'f64') t.is(d, exact);
      else if (encoding === 'f32') t.is(d, Math.fround(exact));
      else t.true(Math.abs(d - exact) <= f.scale / U16_LEVELS / 2 + 1e-9, `${d} vs ${exact}`);
    }
  }
});

test('u16 costs 10 bytes per reached node plus a 48-byte header; f64 costs 16', (t) => {
  const r = resultOf(1000, 2);
  t.is(encodeTreeFrame(r, { seq: 0 }).length, 48 + 10 * r.order.length);
  t.is(encodeTreeFrame(r, { seq: 0, encoding: 'f64' }).length, 48 + 16 * r.order.length);
});

test('path frames carry the highlight: ids from the source to the target with their distances', (t) => {
  const r = resultOf(300, 3, 0);
  const targetIndex = r.order[r.order.length - 1]!;
  for (const encoding of ENCODINGS) {
    const f = decoded(encodePathFrame(r, targetIndex, { seq: 1, encoding }));
    t.is(f.kind, 'path');
    t.deepEqual(Array.from(f.ids), pathTo(r, r.ids[targetIndex]!));
    t.is(f.target, r.ids[targetIndex]);
    t.is(f.parents, null);
    if (encoding === 'f64') t.is(distancesOf(f)[f.count - 1], r.distance[targetIndex]);
  }
  const isolated = csrOf({ n: 3, edges: [{ source: 0, target: 1, weight: 1 }] }, 'directed');
  const o = new CpuSsspEngine().runSync(isolated, { source: 0 });
  if (o.ok) t.is(encodePathFrame(o.result, 2, { seq: 0 }), null, 'no path, no frame');
});

test('misaligned input is copied once and decodes the same', (t) => {
  const bytes = encodeTreeFrame(resultOf(50, 4), { seq: 3, encoding: 'f64' });
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const f = decoded(shifted.subarray(3));
  t.true(f.copied);
  t.deepEqual(distancesOf(f), distancesOf(decoded(bytes)));
  t.true(isSsspFrame(bytes));
});

test('inconsistent frames are refused with a reason', (t) => {
  const good = encodeTreeFrame(resultOf(40, 5), { seq: 0, encoding: 'f64' });
  const mutate = (at: number, value: number, width: 1 | 4 | 8 = 1): Uint8Array => {
    const b = good.slice();
    const v = new DataView(b.buffer);
    if (width === 1) v.setUint8(at, value);
    else if (width === 4) v.setUint32(at, value, true);
    else v.setFloat64(at, value, true);
    return b;
  };
  const codeOf = (b: Uint8Array): string => {
    const r = decodeSsspFrame(b);
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(codeOf(good), 'ok');
  t.is(codeOf(good.subarray(0, 47)), 'TOO_SHORT');
  t.is(codeOf(mutate(0, 0)), 'BAD_IDENTIFIER');
  t.is(codeOf(mutate(4, 2)), 'UNSUPPORTED_VERSION');
  t.is(codeOf(mutate(5, 7)), 'UNKNOWN_ENUM');
  t.is(codeOf(mutate(6, 3)), 'UNKNOWN_ENUM');
  t.is(codeOf(mutate(7, 0x80)), 'OUT_OF_RANGE');
  t.is(codeOf(mutate(24, 41, 4)), 'OUT_OF_BOUNDS');
  t.is(codeOf(mutate(24, 0, 4)), 'INCONSISTENT');
  t.is(codeOf(mutate(24, 0xffffffff, 4)), 'TOO_LARGE');
  t.is(codeOf(mutate(28, 5, 4)), 'INCONSISTENT');
  t.is(codeOf(mutate(32, NaN, 8)), 'OUT_OF_RANGE');
  t.is(codeOf(mutate(40, Infinity, 8)), 'NOT_FINITE');
  t.is(codeOf(mutate(40, 0, 8)), 'OUT_OF_RANGE', 'distances above the scale');
  t.is(codeOf(mutate(12, 1, 4)), 'INCONSISTENT', 'entry 0 must be the source');
  t.is(codeOf(mutate(48 + 40 * 4, 0, 4)), 'INCONSISTENT', 'the source has no parent');
  t.is(codeOf(mutate(48 + 40 * 4 + 4, NO_NODE, 4)), 'INCONSISTENT', 'only the source lacks a parent');
  t.is(codeOf(mutate(48 + 80 * 4 + 8, -1, 8)), 'OUT_OF_RANGE', 'negative distance');
  t.is(codeOf(mutate(48 + 80 * 4 + 8, Number.NaN, 8)), 'OUT_OF_RANGE', 'NaN distance');
});

test('u16 levels scale back without overflow: the top level of the largest finite scale is that scale', (t) => {
  // Found by the mutation fuzzer: level * scale overflowed to Infinity for scales above MAX_VALUE / 65535.
  const r = resultOf(30, 6, 2, 80);
  const bytes = encodePathFrame(r, r.order[r.order.length - 1]!, { seq: 1, encoding: 'u16' })!.slice();
  new DataView(bytes.buffer).setFloat64(40, Number.MAX_VALUE, true);
  const f = decoded(bytes);
  const last = distanceAt(f, f.count - 1);
  t.is(f.rawDistances[f.count - 1], U16_LEVELS);
  t.is(last, Number.MAX_VALUE);
  for (const d of distancesOf(f)) t.true(Number.isFinite(d) && d <= f.scale);
});

// ---- fuzzing ---------------------------------------------------------------------------------
const corpus: Uint8Array[] = [];
{
  const r = resultOf(30, 6, 2, 80);
  for (const encoding of ENCODINGS) {
    corpus.push(encodeTreeFrame(r, { seq: 1, encoding }));
    corpus.push(encodePathFrame(r, r.order[r.order.length - 1]!, { seq: 2, encoding })!);
    corpus.push(encodePathFrame(r, r.order[1]!, { seq: 3, encoding })!);
  }
}

let accepted = 0;
function check(bytes: Uint8Array): boolean {
  const r = decodeSsspFrame(bytes);
  if (!r.ok) {
    if (r.error.code === 'INTERNAL') throw new Error(`decoder threw: ${r.error.message}`);
    return true;
  }
  accepted++;
  // Accepted frames are read in full.
  const f = r.value;
  let sum = 0;
  for (let k = 0; k < f.count; k++) sum += f.ids[k]! + (f.parents?.[k] ?? 0) + distanceAt(f, k);
  return Number.isFinite(sum) && f.count === f.ids.length;
}

test('random bytes never crash the decoder', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 2000 });
  // With a valid magic and version the decoder reaches deeper.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 44, maxLength: 400 }), (tail) => {
      const b = new Uint8Array(4 + tail.length);
      b.set([0x56, 0x46, 0x53, 0x50]);
      b.set(tail, 4);
      b[4] = 1;
      return check(b);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('mutations of valid frames (bit flips, truncations, overwritten words, splices) never crash the decoder', (t) => {
  accepted = 0;
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  );
  fc.assert(
    fc.property(fc.nat(corpus.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
      let b = corpus[which]!.slice();
      for (const m of muts) {
        if (b.length === 0) break;
        const at = m.kind === 'truncate' ? m.at % (b.length + 1) : m.at % b.length;
        if (m.kind === 'flip') b[at]! ^= 1 << m.bit;
        else if (m.kind === 'truncate') b = b.slice(0, at);
        else if (m.kind === 'word') {
          if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, m.value, true);
        } else {
          const out = new Uint8Array(b.length + m.bytes.length);
          out.set(b.subarray(0, at));
          out.set(m.bytes, at);
          out.set(b.subarray(at), at + m.bytes.length);
          b = out;
        }
      }
      return check(b);
    }),
    { numRuns: 5000 },
  );
  t.true(accepted > 0, 'some mutations (e.g. of seq or distances) are still valid frames');
  t.log(`${accepted} of the mutated frames were accepted`);
});
