import test from 'ava';
import { Builder } from 'flatbuffers';
import {
  AddNodeT,
  AgentHeartbeatT,
  Envelope,
  GraphBatch,
  GraphOp,
  GraphUpdate,
  GraphUpdateT,
  Handshake,
  HandshakeAcceptedT,
  NodeKind,
  NodeT,
  NumberValue,
  NumberValueT,
  Payload,
  PositionFilterT,
  SettingValue,
  SettingsDelta,
  SettingsSet,
  SettingsSetT,
  SsspRequestT,
  SsspResultT,
  Subscribe,
  SubscribeT,
  Topic,
  Vec3T,
  decodeEnvelope,
  encodeEnvelope,
  payloadTypeOf,
  unpackEnvelope,
  wireKind,
  type ProtocolErrorCode,
} from '../../src/protocol/index.ts';
import { sampleNode, samples } from './support/samples.ts';

function code(bytes: Uint8Array, limits?: Parameters<typeof decodeEnvelope>[1]): ProtocolErrorCode | 'ok' {
  const r = decodeEnvelope(bytes, limits);
  return r.ok ? 'ok' : r.error.code;
}

for (const [name, make] of samples) {
  test(`round trip: ${name}`, (t) => {
    const bytes = encodeEnvelope({ seq: 1, payload: make() });
    const r = unpackEnvelope(bytes);
    if (!r.ok) return t.fail(r.error.message);
    t.is(r.value.payloadType, payloadTypeOf(make()));
    t.deepEqual(r.value.payload, make());
  });
}

test('every payload of the union has a round-trip sample', (t) => {
  const tags = Object.values(Payload).filter((v): v is number => typeof v === 'number' && v !== Payload.NONE);
  const covered = new Set(samples.map(([, make]) => payloadTypeOf(make())));
  t.deepEqual(
    [...covered].sort((a, b) => a - b),
    tags.sort((a, b) => a - b),
  );
});

test('envelope header fields round trip, 64-bit values up to MAX_SAFE_INTEGER', (t) => {
  const bytes = encodeEnvelope({
    seq: Number.MAX_SAFE_INTEGER,
    correlationId: 2 ** 40,
    sender: '/user/graph/shard-3',
    recipient: '/user/client/42',
    hlc: { wallMs: 1_700_000_000_000, logical: 7, node: 4294967295 },
    payload: samples[0]![1](),
  });
  t.is(wireKind(bytes), 'envelope');
  const r = decodeEnvelope(bytes);
  if (!r.ok) return t.fail(r.error.message);
  const env = r.value;
  t.is(env.version(), 1);
  t.is(env.seq(), BigInt(Number.MAX_SAFE_INTEGER));
  t.is(env.correlationId(), BigInt(2 ** 40));
  t.is(env.sender(), '/user/graph/shard-3');
  t.is(env.recipient(), '/user/client/42');
  t.is(env.hlc()?.wallMs(), BigInt(1_700_000_000_000));
  t.is(env.hlc()?.node(), 4294967295);
});

test('encoding refuses numbers the receiver would reject', (t) => {
  t.throws(() => encodeEnvelope({ seq: 2 ** 53, payload: samples[0]![1]() }), { instanceOf: RangeError });
  t.throws(() => encodeEnvelope({ seq: -1, payload: samples[0]![1]() }), { instanceOf: RangeError });
});

test('decoding works on misaligned input (copied once)', (t) => {
  const bytes = encodeEnvelope({ seq: 3, payload: samples[5]![1]() });
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  t.is(code(shifted.subarray(1)), 'ok');
});

test('semantic checks: non-finite floats, ranges, lengths, 64-bit range, cross-field rules', (t) => {
  const node = sampleNode();
  node.position = new Vec3T(NaN, 0, 0);
  t.is(code(encodeEnvelope({ seq: 1, payload: new GraphUpdateT(GraphOp.AddNode, new AddNodeT(node)) })), 'NOT_FINITE');
  const inf = sampleNode();
  inf.velocity = new Vec3T(0, Infinity, 0);
  t.is(code(encodeEnvelope({ seq: 1, payload: new GraphUpdateT(GraphOp.AddNode, new AddNodeT(inf)) })), 'NOT_FINITE');
  const long = new NodeT(1);
  long.title = 'x'.repeat(1025);
  t.is(code(encodeEnvelope({ seq: 1, payload: new GraphUpdateT(GraphOp.AddNode, new AddNodeT(long)) })), 'TOO_LONG');
  t.is(code(encodeEnvelope({ seq: 1, payload: new AgentHeartbeatT('a', 1, BigInt(0), 0, 1.5) })), 'OUT_OF_RANGE');
  t.is(code(encodeEnvelope({ seq: 1, payload: new HandshakeAcceptedT('s', BigInt(2) ** BigInt(60)) })), 'OUT_OF_RANGE');
  t.is(code(encodeEnvelope({ seq: 1, payload: new SsspResultT(1, [1, 2], [0, 1], [1]) })), 'INCONSISTENT');
  t.is(code(encodeEnvelope({ seq: 1, payload: new SsspResultT(1, [1], [-1], [1]) })), 'OUT_OF_RANGE');
  t.is(code(encodeEnvelope({ seq: 1, payload: new SsspRequestT(1, 0, new Array<number>(1025).fill(2)) })), 'TOO_LONG');
  t.is(code(encodeEnvelope({ seq: 1, payload: new SsspRequestT(1, 0, new Array<number>(1024).fill(2)) })), 'ok');
  const badKind = sampleNode();
  badKind.kind = 200 as NodeKind;
  t.is(code(encodeEnvelope({ seq: 1, payload: new GraphUpdateT(GraphOp.AddNode, new AddNodeT(badKind)) })), 'UNKNOWN_ENUM');
  const badUtf8 = sampleNode();
  badUtf8.title = new Uint8Array([0xc3, 0x28]);
  t.is(code(encodeEnvelope({ seq: 1, payload: new GraphUpdateT(GraphOp.AddNode, new AddNodeT(badUtf8)) })), 'BAD_UTF8');
});

test('union type ids never move: new payloads are appended (Ack is 30, NodeDrag 31)', (t) => {
  t.is(Payload.Handshake, 1);
  t.is(Payload.SettingsDelta, 11);
  t.is(Payload.KeyframeRequest, 29);
  t.is(Payload.Ack, 30);
  t.is(Payload.NodeDrag, 31);
});

test('semantic checks on the position filter and compare-and-set version', (t) => {
  const sub = (filter: PositionFilterT) => encodeEnvelope({ seq: 1, payload: new SubscribeT(Topic.Positions, false, 0, filter) });
  const box = (a: number, b: number) => new PositionFilterT([], 0, new Vec3T(a, 0, 0), new Vec3T(b, 0, 0));
  t.is(code(sub(box(0, 0))), 'ok'); // a flat box is a box
  t.is(code(sub(box(1, 0))), 'INCONSISTENT');
  t.is(code(sub(new PositionFilterT([], 0, new Vec3T(0, 0, 0), null))), 'INCONSISTENT');
  t.is(code(sub(new PositionFilterT([], 0, null, new Vec3T(0, 0, 0)))), 'INCONSISTENT');
  t.is(code(sub(box(NaN, 0))), 'NOT_FINITE');
  t.is(code(sub(box(0, Infinity))), 'NOT_FINITE');
  t.is(code(sub(new PositionFilterT([NodeKind.User, 7 as NodeKind]))), 'UNKNOWN_ENUM');
  t.is(code(sub(new PositionFilterT(new Array<NodeKind>(33).fill(NodeKind.File)))), 'TOO_LONG');
  t.is(code(sub(new PositionFilterT([], 16_777_216))), 'ok');
  t.is(code(sub(new PositionFilterT([], 16_777_217))), 'OUT_OF_RANGE');
  const set = (v: bigint) => encodeEnvelope({ seq: 1, payload: new SettingsSetT('a', SettingValue.NumberValue, new NumberValueT(1), v) });
  t.is(code(set(-1n)), 'ok');
  t.is(code(set(-2n)), 'OUT_OF_RANGE');
  t.is(code(set(BigInt(Number.MAX_SAFE_INTEGER) + 1n)), 'OUT_OF_RANGE');
});

test('buffers from writers of the older schema (no new fields) decode with the defaults', (t) => {
  const finish = (b: Builder, type: Payload, payload: number) => {
    b.finish(buildEnvelope(b, type, payload), 'VFEN');
    const r = decodeEnvelope(b.asUint8Array());
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  // Built field by field as the first schema had them.
  const h = new Builder(64);
  const token = h.createString('t');
  Handshake.startHandshake(h);
  Handshake.addToken(h, token);
  Handshake.addResumeFrom(h, 5n);
  const hs = finish(h, Payload.Handshake, Handshake.endHandshake(h)).payload(new Handshake()) as Handshake;
  t.is(hs.sessionId(), null);
  t.is(hs.resumeFrom(), 5n);

  const s = new Builder(64);
  Subscribe.startSubscribe(s);
  Subscribe.addTopic(s, Topic.Positions);
  t.is((finish(s, Payload.Subscribe, Subscribe.endSubscribe(s)).payload(new Subscribe()) as Subscribe).filter(), null);

  const v = new Builder(64);
  const value = NumberValue.createNumberValue(v, 2);
  const path = v.createString('a');
  SettingsSet.startSettingsSet(v);
  SettingsSet.addPath(v, path);
  SettingsSet.addValueType(v, SettingValue.NumberValue);
  SettingsSet.addValue(v, value);
  t.is((finish(v, Payload.SettingsSet, SettingsSet.endSettingsSet(v)).payload(new SettingsSet()) as SettingsSet).ifVersion(), -1n);

  const d = new Builder(64);
  const dValue = NumberValue.createNumberValue(d, 2);
  const dPath = d.createString('a');
  const client = d.createString('c');
  SettingsDelta.startSettingsDelta(d);
  SettingsDelta.addPath(d, dPath);
  SettingsDelta.addNewValueType(d, SettingValue.NumberValue);
  SettingsDelta.addNewValue(d, dValue);
  SettingsDelta.addClient(d, client);
  t.is((finish(d, Payload.SettingsDelta, SettingsDelta.endSettingsDelta(d)).payload(new SettingsDelta()) as SettingsDelta).version(), 0n);
});

test('structural checks: identifier, truncation, union tags, required fields, version', (t) => {
  const bytes = encodeEnvelope({ seq: 1, payload: samples[0]![1]() });
  const wrongId = bytes.slice();
  wrongId[4] = 0x58;
  t.is(code(wrongId), 'BAD_IDENTIFIER');
  t.is(code(bytes.subarray(0, 6)), 'TOO_SHORT');
  for (let n = 8; n < bytes.length; n += 4) t.not(code(bytes.slice(0, n)), 'ok');

  // Unknown union tag: rewrite the payload_type byte.
  const b = new Builder(64);
  const upd = GraphUpdate.createGraphUpdate(b, GraphOp.RemoveNode, buildEmpty(b), 0n);
  b.finish(buildEnvelope(b, Payload.GraphUpdate, upd), 'VFEN');
  t.is(code(b.asUint8Array()), 'ok');

  const tagged = b.asUint8Array().slice();
  const tagAt = findPayloadTypeByte(tagged);
  tagged[tagAt] = 99;
  t.is(code(tagged), 'UNKNOWN_UNION');
  tagged[tagAt] = 0;
  t.is(code(tagged), 'UNKNOWN_UNION');

  // A required field missing: a Handshake without its token.
  const h = new Builder(64);
  h.finish(buildEnvelope(h, Payload.Handshake, buildEmpty(h)), 'VFEN');
  t.is(code(h.asUint8Array()), 'MISSING_FIELD');

  const v2 = new Builder(64);
  const empty = buildEmpty(v2);
  Envelope.startEnvelope(v2);
  Envelope.addVersion(v2, 2);
  Envelope.addPayloadType(v2, Payload.ClusterLeave);
  Envelope.addPayload(v2, empty);
  v2.finish(Envelope.endEnvelope(v2), 'VFEN');
  t.is(code(v2.asUint8Array()), 'UNSUPPORTED_VERSION');
});

test('shared offsets cannot make verification blow up', (t) => {
  const b = new Builder(1024);
  const node = sampleNode();
  node.connections = Array.from({ length: 1000 }, (_, i) => i);
  const one = new GraphUpdateT(GraphOp.AddNode, new AddNodeT(node)).pack(b);
  const vec = GraphBatch.createUpdatesVector(b, new Array<number>(1000).fill(one));
  const batch = GraphBatch.createGraphBatch(b, vec, 0n);
  b.finish(buildEnvelope(b, Payload.GraphBatch, batch), 'VFEN');
  const bytes = b.asUint8Array();
  t.true(bytes.length < 16_000);
  t.is(code(bytes), 'TOO_COMPLEX');
});

test('nesting depth is limited', (t) => {
  const bytes = encodeEnvelope({ seq: 1, payload: samples[11]![1]() }); // batch -> update -> add -> node -> kv
  t.is(code(bytes), 'ok');
  t.is(code(bytes, { maxBytes: 1 << 20, maxDepth: 3 }), 'TOO_DEEP');
  t.is(code(bytes, { maxBytes: 64, maxDepth: 24 }), 'TOO_LARGE');
});

function buildEmpty(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}

function buildEnvelope(b: Builder, type: Payload, payload: number): number {
  Envelope.startEnvelope(b);
  Envelope.addPayloadType(b, type);
  Envelope.addPayload(b, payload);
  return Envelope.endEnvelope(b);
}

/** The payload_type byte of an Envelope (vtable slot 6, offset 16). */
function findPayloadTypeByte(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  return table + view.getUint16(vtable + 16, true);
}
