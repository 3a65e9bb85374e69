// The SsspResult envelope written from typed arrays is the envelope the object API writes: the same
// message after verification and decoding, for any result, seq and correlation id.
import test from 'ava';
import fc from 'fast-check';
import { ssspResultEnvelope, stampEnvelope } from '../../src/protocol/envelope/sssp-result-envelope.ts';
import { encodeEnvelope, SsspResultT, unpackEnvelope } from '../../src/protocol/index.ts';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** The message a receiver assembles from the fragments. */
const joined = (parts: readonly Uint8Array[]): Uint8Array => Buffer.concat(parts);

test('stamped bulk envelopes decode to what encodeEnvelope writes for the same result', (t) => {
  fc.assert(
    fc.property(
      u32,
      fc.array(fc.tuple(u32, fc.float({ min: 0, max: Math.fround(1e30), noNaN: true, noDefaultInfinity: true }), u32), { maxLength: 60 }),
      fc.boolean(),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      (source, entries, complete, seq, correlationId) => {
        const nodes = Uint32Array.from(entries, (e) => e[0]);
        const distances = Float32Array.from(entries, (e) => e[1]);
        const parents = Uint32Array.from(entries, (e) => e[2]);
        const template = ssspResultEnvelope({ source, nodes, distances, parents, complete });
        const ours = unpackEnvelope(joined(stampEnvelope(template, seq, correlationId)));
        const reference = unpackEnvelope(
          encodeEnvelope({ seq, correlationId, payload: new SsspResultT(source, [...nodes], [...distances], [...parents], complete) }),
        );
        t.true(ours.ok, ours.ok ? '' : ours.error.message);
        t.deepEqual(ours, reference);
      },
    ),
  );
});

test('each receiver gets its own head and shares the body: stamping leaves the template as it was', (t) => {
  const template = ssspResultEnvelope({
    source: 3,
    nodes: Uint32Array.of(3, 4),
    distances: Float32Array.of(0, 2),
    parents: Uint32Array.of(3, 3),
    complete: true,
  });
  const before = template.slice();
  const a = unpackEnvelope(joined(stampEnvelope(template, 10, 7)));
  const b = unpackEnvelope(joined(stampEnvelope(template, 11, 0)));
  t.deepEqual(template, before);
  const [headA, bodyA] = stampEnvelope(template, 10, 7);
  const [headB, bodyB] = stampEnvelope(template, 11, 0);
  t.not(headA.buffer, headB.buffer, 'a head of its own');
  t.is(bodyA.buffer, template.buffer, 'the body is the template, not a copy');
  t.is(bodyB.buffer, bodyA.buffer);
  t.true(a.ok && b.ok);
  if (a.ok && b.ok) t.deepEqual([a.value.seq, a.value.correlationId, b.value.seq, b.value.correlationId], [10n, 7n, 11n, 0n]);
});

test('vectors of different lengths are a programming error, not a malformed message', (t) => {
  t.throws(
    () =>
      ssspResultEnvelope({
        source: 1,
        nodes: Uint32Array.of(1, 2),
        distances: Float32Array.of(0),
        parents: Uint32Array.of(1, 1),
        complete: true,
      }),
    { instanceOf: RangeError },
  );
});
