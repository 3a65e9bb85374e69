// The position stream through the gateway: id tables and keyframes, per-client filters, many
// sessions sharing one encoding, slow and stalled readers (bounded memory, catch-up keyframes,
// disconnect after the stall timeout) without slowing anyone else; the same filters on the graph-change
// stream.
import test from 'ava';
import {
  AddEdgeT,
  AddNodeT,
  EdgeT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  NodeT,
  UpdateNodeT,
  KeyframeRequestT,
  NodeKind,
  Payload,
  PositionFilterT,
  PositionStreamReader,
  SsspRequestT,
  Topic,
  Vec3T,
  decodeFrame,
  type PositionIdTableT,
  type SsspResultT,
} from '../../src/protocol/index.ts';
import { snapshot, startGateway, type Client } from './support.ts';

/** Feeds a client's messages, in order, to a reader; returns what happened. */
function replay(c: Client, withVelocity = false) {
  const reader = new PositionStreamReader(withVelocity);
  const statuses: string[] = [];
  let table: PositionIdTableT | undefined;
  for (const m of c.log) {
    if (m.kind === 'envelope') {
      if (m.env.payloadType === Payload.PositionIdTable) {
        table = m.env.payload as PositionIdTableT;
        reader.setIdTable(table.epoch, table.ids.length);
      }
      continue;
    }
    const r = reader.accept(m.bytes);
    statuses.push(r.ok ? r.value.status : `error:${r.error.code}`);
  }
  return { reader, statuses, table };
}

test('a subscriber gets the id table, then a keyframe, then deltas it can apply', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer');
  c.subscribe(Topic.Positions);
  await h.advance(0);
  await c.waitFor(() => h.frames.subscribers.size === 1);
  for (let k = 0; k < 5; k++) {
    h.frames.push(snapshot(500, k * 3));
    await h.advance(16);
  }
  await c.waitFor(() => c.frames.length === 5);
  const { reader, statuses, table } = replay(c);
  t.deepEqual(statuses, ['applied', 'applied', 'applied', 'applied', 'applied']);
  t.is(table!.ids.length, 500);
  t.is(table!.ids[7], 1007);
  t.is(decodeFrame(c.frames[0]!).ok && (decodeFrame(c.frames[0]!) as { value: { kind: string } }).value.kind, 'keyframe');
  const last = snapshot(500, 12);
  for (let i = 0; i < last.positions.length; i++) t.true(Math.abs(reader.positions[i]! - last.positions[i]!) < 0.5);
});

test('Subscribe filters decide the id table: node kinds, a maximum count, a region', async (t) => {
  const h = await startGateway(t);
  const kinds = await h.session('viewer');
  const region = await h.session('viewer');
  const all = await h.session('viewer');
  kinds.subscribe(Topic.Positions, false, 0, new PositionFilterT([NodeKind.File, NodeKind.Concept], 10));
  region.subscribe(Topic.Positions, false, 0, new PositionFilterT([], 0, new Vec3T(0, 0, -100), new Vec3T(20, 40, 0)));
  all.subscribe(Topic.Positions, false, 0, new PositionFilterT()); // an empty filter keeps everything
  await h.advance(0);
  h.frames.push(snapshot(200));
  await h.advance(0);
  for (const c of [kinds, region, all]) await c.waitFor(() => c.frames.length === 1);
  const ids = (c: Client) => (c.of(Payload.PositionIdTable)[0]!.payload as PositionIdTableT).ids;
  // kinds: i % 7 in {File = 4, Concept = 5}, first 10 of them
  t.deepEqual(ids(kinds), [1004, 1005, 1011, 1012, 1018, 1019, 1025, 1026, 1032, 1033]);
  // region: x = i in [0, 20], y = 2i in [0, 40], z = 3i in [-100, 0]: only node 0
  t.deepEqual(ids(region), [1000]);
  t.is(ids(all).length, 200);
  t.is((await h.stats()).streamGroups, 3);
  for (const c of [kinds, region, all]) t.deepEqual(replay(c).statuses, ['applied']);
});

test('a second Subscribe replaces the position filter: a new id table and keyframe', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer');
  c.subscribe(Topic.Positions, false, 0, new PositionFilterT([], 5));
  await h.advance(0);
  h.frames.push(snapshot(100));
  await h.advance(0);
  await c.waitFor(() => c.frames.length === 1);
  c.subscribe(Topic.Positions, false, 0, new PositionFilterT([NodeKind.Agent], 3));
  await c.waitFor(() => c.of(Payload.PositionIdTable).length === 2 && c.frames.length === 2);
  const tables = c.of(Payload.PositionIdTable).map((e) => [...(e.payload as PositionIdTableT).ids]);
  t.deepEqual(tables, [
    [1000, 1001, 1002, 1003, 1004],
    [1001, 1008, 1015],
  ]);
  t.is((decodeFrame(c.frames[1]!) as { value: { kind: string } }).value.kind, 'keyframe');
  t.is((await h.stats()).streamGroups, 1);
});

test('50 concurrent sessions all receive every frame, encoded once and shared', async (t) => {
  const h = await startGateway(t);
  const clients = await Promise.all(Array.from({ length: 50 }, () => h.session('viewer')));
  for (const c of clients) c.subscribe(Topic.Positions);
  await h.advance(0);
  await clients[0]!.waitFor(() => h.frames.subscribers.size === 1);
  for (let k = 0; k < 10; k++) {
    h.frames.push(snapshot(1000, k));
    await h.advance(16);
  }
  await Promise.all(clients.map((c) => c.waitFor(() => c.frames.length === 10, 10_000)));
  for (const c of clients) t.deepEqual(replay(c).statuses, Array(10).fill('applied'));
  const stats = await h.stats();
  t.is(stats.streamGroups, 1);
  t.is(stats.counters.framesSent, 500);
  t.is(stats.counters.framesDropped, 0);
});

test('a snapshot that finds the last frames still going out waits for them; a newer one replaces it', async (t) => {
  // Slices of 2 for 12 members: the first snapshot's fan-out is far from done when the next two arrive.
  const h = await startGateway(t, { limits: { fanoutSlice: 2 } });
  const clients = await Promise.all(Array.from({ length: 12 }, () => h.session('viewer')));
  for (const c of clients) c.subscribe(Topic.Positions);
  await h.advance(0);
  await clients[0]!.waitFor(() => h.frames.subscribers.size === 1);
  h.frames.push(snapshot(100, 1, 1, 10));
  h.frames.push(snapshot(100, 2, 1, 10));
  h.frames.push(snapshot(100, 3));
  await h.advance(0);
  await Promise.all(clients.map((c) => c.waitFor(() => c.frames.length === 2, 10_000)));
  await h.advance(50);
  for (const c of clients) {
    const { reader, statuses } = replay(c);
    t.deepEqual(statuses, ['applied', 'applied'], 'the first frame, then the newest: nothing lost in between');
    t.is(reader.positions[0], 3, 'the stream ends at the newest snapshot');
  }
  const stats = await h.stats();
  t.is(stats.stats.snapshotsDeferred, 1, "the second snapshot waited for the first one's fan-out");
  t.is(stats.stats.snapshotsSkipped, 1, 'the third replaced it while it waited');
  t.is(stats.counters.framesSent, 24);
});

test('a KeyframeRequest makes the next frame a keyframe for that client only', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('viewer');
  const b = await h.session('viewer');
  a.subscribe(Topic.Positions);
  b.subscribe(Topic.Positions);
  await h.advance(0);
  h.frames.push(snapshot(100, 0, 1, 10));
  await h.advance(0);
  h.frames.push(snapshot(100, 1, 1, 10));
  await h.advance(0);
  await a.waitFor(() => a.frames.length === 2 && b.frames.length === 2);
  a.send(new KeyframeRequestT(1, 1));
  await a.waitFor(() => a.frames.length === 3);
  h.frames.push(snapshot(100, 2, 1, 10));
  await h.advance(0);
  await a.waitFor(() => a.frames.length === 4 && b.frames.length === 3);
  const kinds = (c: Client) => c.frames.map((f) => (decodeFrame(f) as { value: { kind: string } }).value.kind);
  t.deepEqual(kinds(a), ['keyframe', 'delta', 'keyframe', 'delta']);
  t.deepEqual(kinds(b), ['keyframe', 'delta', 'delta']);
  t.deepEqual(replay(a).statuses, ['applied', 'applied', 'applied', 'applied']);
});

/** Pushes big snapshots (every node moves) until the stream has dropped frames for `c`. */
async function fillUntilDropping(h: Awaited<ReturnType<typeof startGateway>>, n: number, from: number, limit: number) {
  let maxBuffered = 0;
  let k = from;
  for (; k < from + limit; k++) {
    h.frames.push(snapshot(n, k * 500, 1, 2));
    await h.advance(16);
    await new Promise((r) => setTimeout(r, 2));
    const stats = await h.stats();
    maxBuffered = Math.max(maxBuffered, ...stats.buffered);
    if (stats.counters.framesDropped >= 5) break;
  }
  return { k: k + 1, maxBuffered };
}

// The kernel's loopback buffers (up to 32 MiB here) absorb a stalled reader's first frames; big
// frames fill them in a few dozen ticks.
const N = 200_000;
const KEYFRAME_BYTES = 48 + 6 * N;

test('a stalled reader holds at most two frames, is dropped after the stall timeout, and slows no one', async (t) => {
  const h = await startGateway(t, { limits: { stallTimeoutMs: 2_000, heartbeatMs: 600_000 } });
  const healthy = await h.session('viewer');
  const stalled = await h.session('viewer');
  healthy.subscribe(Topic.Positions);
  stalled.subscribe(Topic.Positions);
  await h.advance(0);
  await healthy.waitFor(() => h.frames.subscribers.size === 1);
  stalled.ws.pause();
  const { k, maxBuffered } = await fillUntilDropping(h, N, 0, 150);
  const stats = await h.stats();
  t.true(stats.counters.framesDropped >= 5, 'the stalled reader had frames dropped');
  t.true(maxBuffered <= 2 * KEYFRAME_BYTES, `buffered ${maxBuffered} > 2 frames (${2 * KEYFRAME_BYTES})`);
  // The healthy reader got every tick, in order, and holds the latest positions.
  await healthy.waitFor(() => healthy.frames.length >= k, 15_000);
  t.false(replay(healthy).statuses.some((s) => s !== 'applied'));
  t.is(healthy.frames.length, k);
  // Detected within the stall timeout plus one check interval (250 ms).
  await h.advance(2_250);
  const after = await h.stats();
  t.true(
    after.stats.closes.some((c) => c.code === 1008 && c.reason.startsWith('stalled')),
    JSON.stringify(after.stats.closes),
  );
  // The close frame cannot reach a reader that does not read: the socket is cut after 1 s.
  await h.advance(1_000);
  let live = 2;
  await healthy.waitFor(() => {
    h.stats().then(
      (s) => (live = s.liveSockets),
      () => undefined,
    );
    return live === 1;
  }, 5_000);
  t.is(healthy.ws.readyState, healthy.ws.OPEN);
});

test('a slow reader that drains gets a catch-up keyframe and then the shared deltas again', async (t) => {
  const h = await startGateway(t, { limits: { stallTimeoutMs: 600_000, heartbeatMs: 600_000 } });
  const slow = await h.session('viewer');
  const fast = await h.session('viewer');
  slow.subscribe(Topic.Positions);
  fast.subscribe(Topic.Positions);
  await h.advance(0);
  await slow.waitFor(() => h.frames.subscribers.size === 1);
  slow.ws.pause();
  let { k } = await fillUntilDropping(h, N, 0, 150);
  t.true((await h.stats()).counters.framesDropped > 0);
  slow.ws.resume();
  await new Promise((r) => setTimeout(r, 300));
  const end = k + 4;
  for (; k < end; k++) {
    h.frames.push(snapshot(N, k * 500, 1, 2));
    await h.advance(16);
    await new Promise((r) => setTimeout(r, 30));
  }
  await fast.waitFor(() => fast.frames.length === end, 15_000);
  await slow.waitFor(() => (decodeFrame(slow.frames.at(-1)!) as { value: { seq: number } }).value.seq === end - 1, 15_000);
  const { statuses, reader } = replay(slow);
  t.false(statuses.includes('gap'), statuses.join(','));
  t.true((await h.stats()).counters.catchUps >= 1);
  const last = snapshot(N, (end - 1) * 500, 1, 2);
  let worst = 0;
  for (let i = 0; i < last.positions.length; i++) worst = Math.max(worst, Math.abs(reader.positions[i]! - last.positions[i]!));
  // Within the delta threshold (extent / 4096) plus a quantisation step.
  t.true(worst < 600_000 / 4096 + 600_000 / 65535, `worst error ${worst}`);
});

test('the position filter also filters the graph-change stream: kinds, the selection, both ends of an edge', async (t) => {
  const h = await startGateway(t);
  const editor = await h.session('editor');
  const filtered = await h.session('viewer');
  const all = await h.session('viewer');
  filtered.subscribe(Topic.Positions, false, 0, new PositionFilterT([NodeKind.File, NodeKind.Concept], 10));
  filtered.subscribe(Topic.Graph);
  all.subscribe(Topic.Graph);
  await h.advance(0);
  await filtered.waitFor(() => h.frames.subscribers.size === 1 && h.graph.subscribers.size === 2);
  h.frames.push(snapshot(200));
  await h.advance(0);
  await filtered.waitFor(() => filtered.frames.length === 1); // selection: 1004, 1005, 1011, ..., 1033

  const update = (id: number) => new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(new NodeT(id, NodeKind.Knowledge, null, 'x')));
  const edge = (id: bigint, a: number, b: number) => new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(id, a, b)));
  const ops = [
    update(1004), // File, selected
    update(1000), // Knowledge
    update(1039), // File, past the 10 the filter keeps
    edge(1n, 1004, 1005), // both ends selected
    edge(2n, 1004, 1000), // one end of a kind the filter drops
    new GraphUpdateT(GraphOp.AddNode, new AddNodeT(new NodeT(5000, NodeKind.File))), // new, of a kept kind
  ];
  editor.send(new GraphBatchT(ops));
  await all.waitFor(() => all.of(Payload.GraphBatch).length === 1);
  await filtered.waitFor(() => filtered.of(Payload.GraphBatch).length === 1);
  t.is((all.of(Payload.GraphBatch)[0]!.payload as GraphBatchT).updates.length, 6);
  const got = (filtered.of(Payload.GraphBatch)[0]!.payload as GraphBatchT).updates;
  t.deepEqual(
    got.map((u) => u.opType),
    [GraphOp.UpdateNode, GraphOp.AddEdge, GraphOp.AddNode],
  );
  t.deepEqual(
    [(got[0]!.op as UpdateNodeT).node!.id, (got[1]!.op as AddEdgeT).edge!.id, (got[2]!.op as AddNodeT).node!.id],
    [1004, 1n, 5000],
  );

  // A change wholly outside the view sends nothing; the next one inside it arrives alone.
  editor.send(update(1000));
  editor.send(update(1011));
  await all.waitFor(() => all.of(Payload.GraphUpdate).length === 2);
  await filtered.waitFor(() => filtered.of(Payload.GraphUpdate).length === 1);
  await h.advance(0);
  t.is(filtered.of(Payload.GraphUpdate).length, 1);
  t.is(((filtered.of(Payload.GraphUpdate)[0]!.payload as GraphUpdateT).op as UpdateNodeT).node!.id, 1011);
});

test("the position filter also restricts other clients' shortest-path results to the view; the asker gets all of its own", async (t) => {
  const h = await startGateway(t);
  const asker = await h.session('viewer');
  const filtered = await h.session('viewer');
  const all = await h.session('viewer');
  filtered.subscribe(Topic.Positions, false, 0, new PositionFilterT([NodeKind.File, NodeKind.Concept], 10));
  filtered.subscribe(Topic.Sssp);
  all.subscribe(Topic.Sssp);
  await h.advance(0);
  await filtered.waitFor(() => h.frames.subscribers.size === 1 && h.sssp.subscribers.size === 2);
  h.frames.push(snapshot(200));
  await h.advance(0);
  await filtered.waitFor(() => filtered.frames.length === 1); // selection: 1004, 1005, 1011, ..., 1033
  // 1005: Concept, selected; 1000: Knowledge; 1039: File, past the 10 kept; 4242: not in the layout.
  h.sssp.reached = [1005, 1000, 1039, 4242];
  asker.send(new SsspRequestT(1004, 0));
  await h.advance(0);
  await filtered.waitFor(() => [asker, filtered, all].every((c) => c.of(Payload.SsspResult).length === 1));
  const nodes = (c: typeof asker) => (c.of(Payload.SsspResult)[0]!.payload as SsspResultT).nodes;
  t.deepEqual(nodes(asker), [1004, 1005, 1000, 1039, 4242], "the asker's own answer is whole");
  t.deepEqual(nodes(all), [1004, 1005, 1000, 1039, 4242]);
  const seen = filtered.of(Payload.SsspResult)[0]!.payload as SsspResultT;
  t.deepEqual(seen.nodes, [1004, 1005], 'only the nodes of its view');
  t.deepEqual([...seen.distances], [0, 1.5]);
  t.deepEqual(seen.parents, [1004, 1004]);
  t.true(seen.complete);
});
