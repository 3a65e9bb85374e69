// Untrusted bytes against live sessions: random bytes and mutated valid envelopes never crash the
// server; each either gets an answer, is ignored, or closes that one socket with a reasoned code.
import test from 'ava';
import fc from 'fast-check';
import {
  AckT,
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  NodeKind,
  NumberValueT,
  PositionFilterT,
  RemoveNodeT,
  SettingValue,
  SettingsSetT,
  SsspRequestT,
  SubscribeT,
  Topic,
  Payload,
  SettingsGetT,
  Vec3T,
  encodeEnvelope,
  type PayloadT,
} from '../../src/protocol/index.ts';
import { startGateway } from './support.ts';

const valid: PayloadT[] = [
  new SubscribeT(Topic.Graph),
  new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(7)),
  new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.3)),
  new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.3), 4n),
  new SubscribeT(Topic.Positions, false, 30, new PositionFilterT([NodeKind.File], 10, new Vec3T(0, 0, 0), new Vec3T(1, 1, 1))),
  new SsspRequestT(1, 0),
  new HandshakeT('x', 0, 0n, null, 'some-session'),
  new AckT(3n),
];

test('fuzzed inbound bytes never take the server down', async (t) => {
  const h = await startGateway(t);
  const samples = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 600 }),
    fc
      .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
      .map(([p, flips]) => {
        const bytes = encodeEnvelope({ seq: 1, payload: p });
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        return bytes;
      }),
  );
  const codes = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(samples, async (bytes) => {
      const c = await h.session('editor');
      c.ws.send(bytes);
      // A probe after the sample: answered unless the sample closed the socket.
      c.send(new SettingsGetT(['ui.theme']));
      await h.advance(0);
      await c.waitFor(() => c.closed !== undefined || c.of(Payload.SettingsDelta).length > 0, 3_000);
      if (c.closed !== undefined) {
        codes.set(c.closed.code, (codes.get(c.closed.code) ?? 0) + 1);
        if (![1007, 1008].includes(c.closed.code)) return false;
        if (c.closed.reason.length === 0) return false;
      }
      c.ws.terminate();
      return true;
    }),
    { numRuns: 150 },
  );
  const probe = await h.session('viewer');
  t.is(probe.ws.readyState, probe.ws.OPEN);
  t.log(`closes by code: ${JSON.stringify(Object.fromEntries(codes))}`);
  t.true(codes.size > 0);
});
