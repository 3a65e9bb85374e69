// Untrusted bytes never crash the decoders: random buffers and mutations of valid ones (bit flips,
// truncations, splices, overwritten words) always come back as a value or a typed ProtocolError,
// never an exception and never INTERNAL (which would mean the verifier let a bad buffer through to
// an accessor). Accepted envelopes are then read in full, typed-array accessors included.
import test from 'ava';
import fc from 'fast-check';
import type { Envelope } from '../../src/protocol/index.ts';
import {
  Payload,
  PositionIdTable,
  PositionStreamEncoder,
  SsspResult,
  Subscribe,
  VoiceFrame,
  applyFrame,
  decodeEnvelope,
  decodeFrame,
  encodeEnvelope,
  type Result,
} from '../../src/protocol/index.ts';
import { samples } from './support/samples.ts';

function positions(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: 3 * n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 50);
}

function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const p = positions(40, 1);
  const v = positions(40, 2);
  const enc = new PositionStreamEncoder({ velocity: true, threshold: 0.01 });
  out.push(enc.encode({ epoch: 3, positions: p, velocities: v })!);
  p[3]! += 5; // one moved: paged indices
  out.push(enc.encode({ epoch: 3, positions: p, velocities: v })!);
  for (let j = 0; j < p.length; j += 2) p[j]! += 1; // most moved: bitmap
  out.push(enc.encode({ epoch: 3, positions: p, velocities: v })!);
  out.push(new PositionStreamEncoder().encode({ epoch: 0, positions: positions(5, 3) })!);
  return out;
}

const corpus: Uint8Array[] = [
  ...samples.map(([, make], i) =>
    encodeEnvelope({ seq: i, correlationId: 7, sender: '/a', recipient: '/b', hlc: { wallMs: 1, logical: 2, node: 3 }, payload: make() }),
  ),
  ...frames(),
];

let accepted = 0;

function touchEnvelope(r: Result<Envelope>): void {
  if (!r.ok) {
    if (r.error.code === 'INTERNAL') throw new Error(`verifier let a bad buffer through: ${r.error.message}`);
    return;
  }
  accepted++;
  const env = r.value;
  env.unpack();
  env.sender();
  env.hlc()?.wallMs();
  switch (env.payloadType()) {
    case Payload.SsspResult: {
      const s = env.payload(new SsspResult()) as SsspResult;
      s.nodesArray();
      s.distancesArray();
      s.parentsArray();
      break;
    }
    case Payload.PositionIdTable: {
      const p = env.payload(new PositionIdTable()) as PositionIdTable;
      p.idsArray();
      p.kindsArray();
      break;
    }
    case Payload.VoiceFrame:
      (env.payload(new VoiceFrame()) as VoiceFrame).dataArray();
      break;
    case Payload.Subscribe: {
      const f = (env.payload(new Subscribe()) as Subscribe).filter();
      f?.kindsArray();
      f?.regionMin()?.x();
      f?.regionMax()?.z();
      break;
    }
    default:
  }
}

function check(bytes: Uint8Array): boolean {
  touchEnvelope(decodeEnvelope(bytes));
  const f = decodeFrame(bytes);
  if (!f.ok) {
    if (f.error.code === 'INTERNAL') throw new Error(`frame decoder threw: ${f.error.message}`);
    return true;
  }
  accepted++;
  if (f.value.tableSize <= 1_000_000) applyFrame(f.value, new Float32Array(3 * f.value.tableSize), new Float32Array(3 * f.value.tableSize));
  return true;
}

const base = fc.nat({ max: corpus.length - 1 }).map((i) => corpus[i]!);

test('the corpus itself decodes', (t) => {
  for (const bytes of corpus) t.true(decodeEnvelope(bytes).ok || decodeFrame(bytes).ok);
});

test('random bytes (25k cases)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), check), { numRuns: 25_000 });
  t.pass();
});

test('random bytes behind a valid header (10k cases)', (t) => {
  const prefixes = [corpus[0]!.subarray(0, 8), corpus.at(-1)!.subarray(0, 48)];
  fc.assert(
    fc.property(fc.nat({ max: 1 }), fc.uint8Array({ maxLength: 400 }), (k, tail) => {
      const p = prefixes[k]!;
      const bytes = new Uint8Array(p.length + tail.length);
      bytes.set(p);
      bytes.set(tail, p.length);
      return check(bytes);
    }),
    { numRuns: 10_000 },
  );
  t.pass();
});

test('bit flips of valid buffers (30k cases)', (t) => {
  fc.assert(
    fc.property(base, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }), (b, flips) => {
      const bytes = b.slice();
      for (const [at, bit] of flips) bytes[at % bytes.length]! ^= 1 << bit;
      return check(bytes);
    }),
    { numRuns: 30_000 },
  );
  t.pass();
});

test('truncations of valid buffers (10k cases)', (t) => {
  fc.assert(
    fc.property(base, fc.nat(), (b, n) => check(b.slice(0, n % (b.length + 1)))),
    { numRuns: 10_000 },
  );
  t.pass();
});

test('splices of two valid buffers, and inserted or deleted bytes (15k cases)', (t) => {
  fc.assert(
    fc.property(base, base, fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 16 }), (a, b, i, j, insert) => {
      const cut = i % (a.length + 1);
      const from = j % (b.length + 1);
      const bytes = new Uint8Array(cut + insert.length + (b.length - from));
      bytes.set(a.subarray(0, cut));
      bytes.set(insert, cut);
      bytes.set(b.subarray(from), cut + insert.length);
      return check(bytes);
    }),
    { numRuns: 15_000 },
  );
  t.pass();
});

test('overwritten 32-bit words: offsets, lengths, boundary values (15k cases)', (t) => {
  const words = fc.oneof(
    fc.constantFrom(0, 1, 2, 4, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0x10000, 0xffff),
    fc.nat({ max: 1024 }),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  fc.assert(
    fc.property(base, fc.nat(), words, (b, at, word) => {
      const bytes = b.slice();
      const i = (at % Math.max(1, bytes.length - 3)) & ~1;
      if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(i, word >>> 0, true);
      return check(bytes);
    }),
    { numRuns: 15_000 },
  );
  t.pass();
});

test.after('mutations still reach the accept path', () => {
  if (accepted < 1000) throw new Error(`only ${accepted} mutated buffers were accepted: the fuzzing is too shallow`);
});
