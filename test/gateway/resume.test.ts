// Reconnect and resume: the same session, what was missed replayed from the ring, a keyframe next.
import test from 'ava';
import {
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  NodeKind,
  Payload,
  PositionFilterT,
  RemoveNodeT,
  SsspRequestT,
  Topic,
  decodeFrame,
  type HandshakeAcceptedT,
  type PositionIdTableT,
  type SsspResultT,
} from '../../src/protocol/index.ts';
import { snapshot, startGateway, type Client } from './support.ts';

const seqs = (c: Client, type: Payload) => c.of(type).map((e) => Number(e.seq));

test('a client that reconnects with Handshake.session_id gets the same session, what it missed, then a keyframe', async (t) => {
  const h = await startGateway(t);
  const editor = await h.session('editor');
  const viewer = await h.session('viewer');
  viewer.subscribe(Topic.Graph);
  viewer.subscribe(Topic.Positions, false, 0, new PositionFilterT([NodeKind.File]));
  await h.advance(0);
  await viewer.waitFor(() => h.graph.subscribers.size === 1 && h.frames.subscribers.size === 1);
  h.frames.push(snapshot(50, 0));
  await h.advance(0);
  // File nodes: the viewer's filter lets their changes through.
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(1004)));
  await viewer.waitFor(() => viewer.of(Payload.GraphUpdate).length === 1 && viewer.frames.length === 1);
  const id = viewer.sessionId;
  const lastSeen = Math.max(...seqs(viewer, Payload.GraphUpdate));
  viewer.ws.terminate();
  await viewer.waitClosed();
  await h.advance(0);
  // Missed while away: two graph changes.
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(1011)));
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(1018)));
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(1))); // a Knowledge node: filtered out
  await editor.waitFor(() => editor.of(Payload.Ack).length === 4);
  await h.advance(0);
  const back = await h.session('viewer', { resume: id, resumeFrom: lastSeen });
  t.is(back.sessionId, id);
  const accepted = back.of(Payload.HandshakeAccepted)[0]!.payload as HandshakeAcceptedT;
  t.is(Number(accepted.nextSeq), lastSeen + 1);
  await back.waitFor(() => back.of(Payload.GraphUpdate).length === 2 && back.frames.length === 1);
  t.deepEqual(seqs(back, Payload.GraphUpdate), [lastSeen + 1, lastSeen + 2]);
  t.is((decodeFrame(back.frames[0]!) as { value: { kind: string } }).value.kind, 'keyframe');
  t.true(back.of(Payload.PositionIdTable).length === 1);
  // The Subscribe's filter is the session's, so it holds on the new socket: File nodes only.
  const ids = (back.of(Payload.PositionIdTable)[0]!.payload as PositionIdTableT).ids;
  t.deepEqual(ids, [1004, 1011, 1018, 1025, 1032, 1039, 1046]);
  const stats = await h.stats();
  t.is(stats.stats.resumes, 1);
  t.is(stats.sessions, 2);
});

test('resuming from too far back, or as someone else, starts a fresh session', async (t) => {
  const h = await startGateway(t, { limits: { replayMessages: 2 } });
  const editor = await h.session('editor');
  const viewer = await h.session('viewer');
  viewer.subscribe(Topic.Graph);
  await h.advance(0);
  await viewer.waitFor(() => h.graph.subscribers.size === 1);
  const id = viewer.sessionId;
  viewer.ws.terminate();
  await viewer.waitClosed();
  for (let i = 0; i < 5; i++) editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(i)));
  await editor.waitFor(() => editor.of(Payload.Ack).length === 5);
  await h.advance(0);
  const other = await h.session('viewer', { resume: id, resumeFrom: 0, token: h.token('viewer', 3600, 'mallory') });
  t.not(other.sessionId, id);
  const late = await h.session('viewer', { resume: id, resumeFrom: 0 });
  t.not(late.sessionId, id);
  t.is(late.of(Payload.GraphUpdate).length, 0);
});

test('a detached session is dropped when the resume window closes', async (t) => {
  const h = await startGateway(t, { limits: { resumeWindowMs: 5_000 } });
  const viewer = await h.session('viewer');
  const id = viewer.sessionId;
  viewer.ws.terminate();
  await viewer.waitClosed();
  await h.advance(0);
  t.is((await h.stats()).sessions, 1);
  await h.advance(5_000);
  t.is((await h.stats()).sessions, 0);
  const again = await h.connect();
  again.send(new HandshakeT(h.token('viewer'), 0, 1n, null, id));
  await again.waitFor(() => again.of(Payload.HandshakeAccepted).length === 1);
  t.not(again.sessionId, id);
});

test('an unknown session id starts a fresh session; the old ?resume= URL parameter is refused', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer', { resume: 'no-such-session', resumeFrom: 3 });
  t.regex(c.sessionId, /^[0-9a-f-]{36}$/);
  t.is(Number((c.of(Payload.HandshakeAccepted)[0]!.payload as HandshakeAcceptedT).nextSeq), 1);
  const old = await t.throwsAsync(h.connect({ query: `?resume=${c.sessionId}` }));
  t.is((old as Error & { status: number }).status, 400);
});

test('a client that closes normally (1000) is not held for a resume', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer');
  c.ws.close(1000, 'bye');
  await c.waitClosed();
  await h.advance(0);
  await c.waitFor(() => h.system.tree('/gateway').every((p) => !/\/s-\d+$/.test(p))); // no session actor left
  t.is((await h.stats()).sessions, 0);
});

test("a shortest-path result missed while away is replayed whole: the session's own head, then the shared body", async (t) => {
  const h = await startGateway(t);
  const asker = await h.session('viewer');
  const viewer = await h.session('viewer');
  viewer.subscribe(Topic.Sssp);
  await h.advance(0);
  await viewer.waitFor(() => h.sssp.subscribers.size === 1);
  const id = viewer.sessionId;
  const lastSeen = Number(viewer.envelopes.at(-1)!.seq);
  viewer.ws.terminate();
  await viewer.waitClosed();
  await h.advance(0);
  h.sssp.reached = [7, 8, 9];
  asker.send(new SsspRequestT(3, 0));
  await asker.waitFor(() => asker.of(Payload.SsspResult).length === 1);
  await h.advance(0);
  const back = await h.session('viewer', { resume: id, resumeFrom: lastSeen });
  t.is(back.sessionId, id);
  await back.waitFor(() => back.of(Payload.SsspResult).length === 1);
  const replayed = back.of(Payload.SsspResult)[0]!;
  t.is(Number(replayed.seq), lastSeen + 1);
  const result = replayed.payload as SsspResultT;
  t.deepEqual([...result.nodes], [3, 7, 8, 9]);
  t.deepEqual([...result.parents], [3, 3, 3, 3]);
});

test('sessions waiting for a resume count toward maxSessions: the longest-waiting gives way to a new client; only live ones get a 503', async (t) => {
  const h = await startGateway(t, { limits: { maxSessions: 3 } });
  const drop = async (): Promise<string> => {
    const c = await h.session('viewer');
    c.ws.terminate();
    await c.waitClosed();
    await h.advance(0);
    return c.sessionId;
  };
  const first = await drop();
  const second = await drop();
  t.is((await h.stats()).sessions, 2, 'both wait for a resume');
  const c = await h.session('viewer');
  await h.session('viewer'); // 1 live + 2 waiting = 3: the first of them gives way
  await h.advance(0);
  t.is((await h.stats()).sessions, 3, 'two live, one still waiting');
  c.ws.close(1000, 'bye');
  await c.waitClosed();
  await h.advance(0);
  const resumed = await h.session('viewer', { resume: second, resumeFrom: 0 });
  t.is(resumed.sessionId, second, 'the newer one could still be resumed');
  const fresh = await h.session('viewer', { resume: first, resumeFrom: 0 });
  t.not(fresh.sessionId, first, 'the one that gave way is gone: a fresh session');
  const refused = await t.throwsAsync(h.connect());
  t.is((refused as Error & { status: number }).status, 503, 'three live sockets and nobody waiting: full');
});
