// Client sessions over real sockets: handshake, tokens, close codes with reasons, roles, rate
// limits, heartbeats, crash isolation.
import test from 'ava';
import {
  AckT,
  ErrorCode,
  ErrorReplyT,
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  NodeKind,
  NodeT,
  NumberValueT,
  Payload,
  PositionFilterT,
  RemoveNodeT,
  SettingValue,
  SettingsSetT,
  SsspRequestT,
  SubscribeT,
  Topic,
  UpdateNodeT,
  Vec3T,
  AgentHeartbeatT,
  encodeEnvelope,
  type HandshakeAcceptedT,
  type SsspResultT,
} from '../../src/protocol/index.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import { pollUntil } from '../helpers/poll.ts';
import { startGateway, WALL_START } from './support.ts';

const errors = (c: { of(p: Payload): { payload: unknown; correlationId: bigint }[] }) =>
  c.of(Payload.ErrorReply).map((e) => ({
    code: (e.payload as ErrorReplyT).code,
    message: String((e.payload as ErrorReplyT).message),
    corr: Number(e.correlationId),
  }));

test('a handshake with a valid token is accepted: session id, next seq 1, heartbeat interval', async (t) => {
  const h = await startGateway(t, { limits: { heartbeatMs: 7_000 } });
  const c = await h.session('viewer');
  const accepted = c.of(Payload.HandshakeAccepted)[0]!.payload as HandshakeAcceptedT;
  t.regex(String(accepted.sessionId), /^[0-9a-f-]{36}$/);
  t.is(accepted.nextSeq, 1n);
  t.is(accepted.heartbeatMs, 7_000);
  t.is((await h.stats()).sessions, 1);
});

test('expired, forged, tampered and malformed handshake tokens close with 1008 and a reason', async (t) => {
  const h = await startGateway(t);
  const expired = h.token('admin', 60);
  h.wall = WALL_START + 61_000;
  const forged = new TokenAuthority(Buffer.alloc(32, 9), () => h.wall).mint({ sub: 'x', role: 'admin', ttlSeconds: 60 });
  const good = h.token('viewer');
  const [payload, sig] = good.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const tampered = `${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${sig}`;
  for (const [token, reason] of [
    [expired, 'unauthorized: token expired'],
    [forged, 'unauthorized: bad token signature'],
    [tampered, 'unauthorized: bad token signature'],
    ['not-a-token', 'unauthorized: malformed token'],
  ] as const) {
    const c = await h.connect();
    c.send(new HandshakeT(token, 0, 0n, null));
    t.deepEqual(await c.waitClosed(), { code: 1008, reason });
  }
});

test('a bad token on the upgrade URL is refused with 401 before the upgrade', async (t) => {
  const h = await startGateway(t);
  const err = await t.throwsAsync(h.connect({ query: '?token=abc.def' }));
  t.is((err as Error & { status: number }).status, 401);
  const errBearer = await t.throwsAsync(h.connect({ headers: { authorization: 'Bearer nope' } }));
  t.is((errBearer as Error & { status: number }).status, 401);
  const ok = await h.connect({ query: `?token=${h.token('viewer')}` });
  t.is(ok.ws.readyState, ok.ws.OPEN);
});

test('filters on the upgrade URL are refused with 400: they belong in Subscribe.filter', async (t) => {
  const h = await startGateway(t);
  for (const query of ['?kinds=file', '?maxNodes=10', '?region=0,0,0,1,1,1']) {
    const bad = await t.throwsAsync(h.connect({ query }));
    t.is((bad as Error & { status: number }).status, 400, query);
  }
});

test('a Subscribe whose position filter breaks the schema closes with 1007 and the reason', async (t) => {
  const h = await startGateway(t);
  const inverted = await h.session('viewer');
  inverted.subscribe(Topic.Positions, false, 0, new PositionFilterT([], 0, new Vec3T(5, 0, 0), new Vec3T(1, 1, 1)));
  const closed = await inverted.waitClosed();
  t.is(closed.code, 1007);
  t.regex(closed.reason, /^malformed envelope: INCONSISTENT: Subscribe\.filter: region_min/);
  const kind = await h.session('viewer');
  kind.subscribe(Topic.Positions, false, 0, new PositionFilterT([99 as NodeKind]));
  t.regex((await kind.waitClosed()).reason, /UNKNOWN_ENUM/);
  const nan = await h.session('viewer');
  nan.subscribe(Topic.Positions, false, 0, new PositionFilterT([], 0, new Vec3T(NaN, 0, 0), new Vec3T(1, 1, 1)));
  t.regex((await nan.waitClosed()).reason, /NOT_FINITE/);
  t.is((await h.stats()).streamMembers, 0);
});

test('anything but a Handshake first closes with 1008; a second Handshake too', async (t) => {
  const h = await startGateway(t);
  const c = await h.connect();
  c.subscribe(Topic.Positions);
  t.deepEqual(await c.waitClosed(), { code: 1008, reason: 'expected a Handshake first, got Subscribe' });
  const d = await h.session();
  d.send(new HandshakeT(h.token('viewer'), 0, 0n, null));
  t.deepEqual(await d.waitClosed(), { code: 1008, reason: 'Handshake sent twice on one connection' });
});

test('malformed bytes close with 1007 and the decoder’s reason; the server keeps serving', async (t) => {
  const h = await startGateway(t);
  const c = await h.session();
  c.ws.send(Buffer.from('definitely not a flatbuffer'));
  const closed = await c.waitClosed();
  t.is(closed.code, 1007);
  t.regex(closed.reason, /^malformed envelope: /);
  const truncated = await h.session();
  const bytes = encodeEnvelope({ seq: 1, payload: new SubscribeT(Topic.Graph) });
  truncated.ws.send(bytes.subarray(0, bytes.length - 4));
  t.is((await truncated.waitClosed()).code, 1007);
  const other = await h.session();
  t.is(other.ws.readyState, other.ws.OPEN);
});

test('every oversized message, whatever its size or framing, closes with 1009, the same reason and the limit, and ends its session', async (t) => {
  const h = await startGateway(t, { limits: { maxMessageBytes: 4096 } });
  const tooBig = { code: 1009, reason: 'message too big: the limit is 4096 bytes' };
  for (const size of [4097, 5000, 20_000, 20_000_000]) {
    const c = await h.session();
    c.ws.send(Buffer.alloc(size));
    t.deepEqual(await c.waitClosed(5_000), tooBig, `${size} bytes`);
    await pollUntil(async () => (await h.stats()).sessions === 0, {
      limitMs: 3_000,
      everyMs: 20,
      what: `${size} bytes: the session ended, it is not held for a resume`,
    });
  }
  // Fragments that add up past the limit, each of them under it.
  const fragmented = await h.session();
  for (let i = 0; i < 3; i++) fragmented.ws.send(Buffer.alloc(2000), { binary: true, fin: i === 2 });
  t.deepEqual(await fragmented.waitClosed(), tooBig);
  const text = await h.session();
  text.ws.send('hello');
  t.is((await text.waitClosed()).code, 1003);
});

test('roles: a viewer may not mutate (forbidden), an editor may (an Ack with the graph version)', async (t) => {
  const h = await startGateway(t);
  const viewer = await h.session('viewer');
  const update = new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(new NodeT(1, NodeKind.File, null, 'renamed')));
  const seq = viewer.send(update);
  const setSeq = viewer.send(new SettingsSetT('ui.theme', SettingValue.NumberValue, new NumberValueT(1)));
  await viewer.waitFor(() => viewer.of(Payload.ErrorReply).length === 2);
  t.deepEqual(errors(viewer), [
    { code: ErrorCode.Unauthorized, message: 'forbidden: role viewer may not change the graph', corr: seq },
    { code: ErrorCode.Unauthorized, message: 'forbidden: role viewer may not change settings', corr: setSeq },
  ]);
  t.is(h.graph.applied.length, 0);
  const editor = await h.session('editor');
  const s2 = editor.send(update);
  await editor.waitFor(() => editor.of(Payload.Ack).length === 1);
  const ack = editor.of(Payload.Ack)[0]!;
  t.is(Number(ack.correlationId), s2);
  t.is((ack.payload as AckT).version, 1n);
  t.is(editor.of(Payload.GraphUpdate).length, 0); // not subscribed to the graph: the ack alone
  t.is(h.graph.applied.length, 1);
  const agent = await h.session('agent');
  agent.send(new SettingsSetT('ui.theme', SettingValue.NumberValue, new NumberValueT(1)));
  const s3 = agent.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)));
  await agent.waitFor(() => agent.of(Payload.ErrorReply).length === 1 && agent.of(Payload.Ack).length === 1);
  t.deepEqual(
    agent.of(Payload.Ack).map((e) => [Number(e.correlationId), (e.payload as AckT).version]),
    [[s3, 2n]],
  );
  t.regex(errors(agent)[0]!.message, /role agent may not change settings/);
  const editorAgentMsg = editor.send(new AgentHeartbeatT('a1', 1, 1n, 0, 1, 0n));
  await editor.waitFor(() => editor.of(Payload.ErrorReply).length === 1);
  t.deepEqual(errors(editor)[0], {
    code: ErrorCode.Unauthorized,
    message: 'forbidden: role editor may not send AgentHeartbeat',
    corr: editorAgentMsg,
  });
});

test('graph changes reach every subscribed session, the one that made them too, which then gets its ack', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('editor');
  const b = await h.session('viewer');
  a.subscribe(Topic.Graph);
  b.subscribe(Topic.Graph);
  await h.advance(0);
  await b.waitFor(() => h.graph.subscribers.size === 2);
  const seq = a.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(2)));
  await b.waitFor(() => b.of(Payload.GraphUpdate).length === 1);
  await a.waitFor(() => a.of(Payload.Ack).length === 1);
  t.is(Number(b.of(Payload.GraphUpdate)[0]!.correlationId), 0);
  t.is(((b.of(Payload.GraphUpdate)[0]!.payload as GraphUpdateT).op as RemoveNodeT).id, 2);
  // The origin: its change in the stream (correlation 0), then its ack.
  t.deepEqual(
    a.envelopes
      .filter((e) => e.payloadType === Payload.GraphUpdate || e.payloadType === Payload.Ack)
      .map((e) => [e.payloadType, Number(e.correlationId)]),
    [
      [Payload.GraphUpdate, 0],
      [Payload.Ack, seq],
    ],
  );
});

test("the envelope HLC of a graph change reaches the graph as the client's stamp; a zero one counts as none", async (t) => {
  const h = await startGateway(t);
  const c = await h.session('editor');
  const stamp = { wallMs: WALL_START - 5_000, logical: 3, node: 77 };
  c.ws.send(encodeEnvelope({ seq: 1, hlc: stamp, payload: new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(2)) }));
  c.ws.send(
    encodeEnvelope({ seq: 2, hlc: { wallMs: 0, logical: 0, node: 0 }, payload: new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)) }),
  );
  await c.waitFor(() => c.of(Payload.Ack).length === 2);
  t.deepEqual(
    h.graph.applied.map((a) => a.stamp),
    [stamp, undefined],
  );
});

test('a graph conflict answers Conflict and the value that stands', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('editor');
  h.graph.nextResult = {
    ok: false,
    code: 'conflict',
    message: 'node 1 was changed meanwhile',
    current: { node: new NodeT(1, NodeKind.File, null, 'theirs') },
  };
  const seq = c.send(new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(new NodeT(1, NodeKind.File, null, 'mine'))));
  await c.waitFor(() => c.of(Payload.GraphUpdate).length === 1);
  t.deepEqual(errors(c), [{ code: ErrorCode.Conflict, message: 'node 1 was changed meanwhile', corr: seq }]);
  const current = c.of(Payload.GraphUpdate)[0]!;
  t.is(Number(current.correlationId), seq);
  t.is(((current.payload as GraphUpdateT).op as UpdateNodeT).node!.title, 'theirs');
  t.is(c.of(Payload.Ack).length, 0);
});

test('messages only the server sends are answered BadMessage; unsupported ones Unsupported', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('admin');
  c.send(new ErrorReplyT(ErrorCode.Internal, 'hi'));
  c.send(new SubscribeT(Topic.Voice));
  c.send(new AckT(1n));
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 3);
  t.deepEqual(
    errors(c).map((e) => e.code),
    [ErrorCode.BadMessage, ErrorCode.Unsupported, ErrorCode.BadMessage],
  );
  t.is(c.ws.readyState, c.ws.OPEN);
});

test('rate limit: past the burst each dropped message is answered Overloaded by its seq; sustained abuse closes 1008', async (t) => {
  const h = await startGateway(t, { limits: { messagesPerSecond: 10, messageBurst: 5, abuseDropsPerSecond: 20 } });
  const c = await h.session('viewer');
  const sent: number[] = [];
  for (let i = 0; i < 8; i++) sent.push(c.subscribe(Topic.Sssp));
  // The burst is 5 and the handshake took one: the last four are dropped, each answered by its seq.
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 4);
  t.true(
    errors(c).every(
      (e) => e.code === ErrorCode.Overloaded && /^rate limit: dropped \(at most 10 messages a second\)/.test(String(e.message)),
    ),
  );
  t.deepEqual(
    c.of(Payload.ErrorReply).map((e) => Number(e.correlationId)),
    sent.slice(4),
  );
  await h.advance(1_000);
  for (let i = 0; i < 40; i++) c.subscribe(Topic.Sssp);
  const closed = await c.waitClosed();
  t.is(closed.code, 1008);
  t.regex(closed.reason, /^rate limit exceeded/);
});

test('no handshake within the timeout closes 1008', async (t) => {
  const h = await startGateway(t, { limits: { handshakeTimeoutMs: 500 } });
  const c = await h.connect();
  await h.advance(0);
  await h.advance(501);
  t.deepEqual(await c.waitClosed(), { code: 1008, reason: 'no Handshake within 500 ms' });
});

test('a session whose token expires is closed with 1008', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer', { token: h.token('viewer', 10) });
  h.wall += 10_000;
  await h.advance(10_000);
  t.deepEqual(await c.waitClosed(), { code: 1008, reason: 'unauthorized: token expired' });
});

test('a peer that stops answering pings is dropped after two heartbeat intervals', async (t) => {
  const h = await startGateway(t, { limits: { heartbeatMs: 1_000 } });
  const alive = await h.session('viewer');
  const dead = await h.session('viewer');
  (dead.ws as unknown as { _autoPong: boolean })._autoPong = false;
  dead.ws.pong = () => undefined;
  dead.ws.removeAllListeners('ping');
  await h.advance(1_000);
  await new Promise((r) => setTimeout(r, 50));
  await h.advance(1_000);
  const closed = await dead.waitClosed();
  t.is(closed.code, 1006);
  t.is(alive.ws.readyState, alive.ws.OPEN);
  t.true((await h.stats()).stats.closes.some((c) => c.reason === 'heartbeat timeout'));
});

test('a crashing session is closed with 1011; the other sessions carry on', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('viewer');
  const b = await h.session('viewer');
  const path = h.system.tree('/gateway').find((p) => p !== '/gateway' && p.endsWith('s-1'))!;
  h.system.faults.inject(path, { kind: 'throw', times: 1 });
  a.subscribe(Topic.Graph);
  t.deepEqual(await a.waitClosed(), { code: 1011, reason: 'internal error in the session' });
  b.subscribe(Topic.Graph);
  await h.advance(0);
  await b.waitFor(() => h.graph.subscribers.size === 1);
  t.is(b.ws.readyState, b.ws.OPEN);
});

test("an SSSP request is answered with its result, correlated; subscribers see others' results", async (t) => {
  const h = await startGateway(t);
  const a = await h.session('viewer');
  const b = await h.session('viewer');
  b.subscribe(Topic.Sssp);
  await h.advance(0);
  await b.waitFor(() => h.sssp.subscribers.size === 1);
  const seq = a.send(new SsspRequestT(4, 0));
  await b.waitFor(() => a.of(Payload.SsspResult).length === 1 && b.of(Payload.SsspResult).length === 1);
  t.is(Number(a.of(Payload.SsspResult)[0]!.correlationId), seq);
  t.deepEqual((a.of(Payload.SsspResult)[0]!.payload as SsspResultT).nodes, [4, 7]);
  t.is(Number(b.of(Payload.SsspResult)[0]!.correlationId), 0);
});
