// An edge's direction as the graph keeps it: through the wire mapping and validation, the journal's
// and the snapshot's bytes (an edge written before the field existed reads as undirected), the
// topology the compute actors see (an upsert that turns an edge around reaches them as a removal
// and an addition), and the directory's edge list.
import test from 'ava';
import type { GraphAck } from '../../src/actors/graph-router.ts';
import { decodeEvent, encodeEvent, eventKind } from '../../src/graph/event-codec.ts';
import type { GraphEvent } from '../../src/graph/events.ts';
import { commandFromMutation } from '../../src/graph/from-protocol.ts';
import { parseCommand } from '../../src/graph/commands.ts';
import { sameValue, type EdgeValue } from '../../src/graph/model.ts';
import { ShardState } from '../../src/graph/shard-state.ts';
import { decodeSnapshotInto, encodeSnapshot } from '../../src/graph/snapshot-codec.ts';
import type { TopologyChange } from '../../src/graph/topology.ts';
import { AddEdgeT, EdgeT, GraphOp, GraphUpdateT, encodeEnvelope } from '../../src/protocol/index.ts';
import { pgStore } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';

const stamp = { wallMs: 1_700_000_000_000, logical: 0, node: 1 };
const oneWay: EdgeValue = { id: 7n, source: 1, target: 2, weight: 2, metadata: [], directed: true };
const twoWay: EdgeValue = { id: 8n, source: 2, target: 3, weight: 1, metadata: [] };

function ok(ack: GraphAck): Extract<GraphAck, { ok: true }> {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack;
}

test('a wire edge keeps its direction through the mapping and validation; absent or false is undirected', (t) => {
  const edge = (directed?: boolean) => new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(7n, 1, 2, null, 2, [], directed)));
  const parsed = (directed?: boolean) => {
    const r = parseCommand(commandFromMutation({ kind: 'update', update: edge(directed) }));
    if (!r.ok || r.command.op !== 'add-edge') throw new Error(r.ok ? r.command.op : r.error);
    return r.command.edge.directed;
  };
  t.is(parsed(true), true);
  t.falsy(parsed(false));
  t.falsy(parsed(undefined));
  const bad = parseCommand({ op: 'add-edge', edge: { id: 1, source: 1, target: 2, directed: 'yes' } });
  t.false(bad.ok, 'a direction that is not a boolean is refused');
});

test('journal rows and snapshots keep direction; an edge encoded without the field reads as undirected', (t) => {
  for (const edge of [oneWay, twoWay]) {
    const event: GraphEvent = { type: 'edge-created', stamp, edge };
    const back = decodeEvent(eventKind(event), encodeEvent(event));
    t.true(back.ok);
    if (back.ok && back.value.type === 'edge-created') t.true(sameValue(back.value.edge, edge), `edge ${edge.id}`);
  }
  // Bytes as written before the field existed: a builder leaves a field at its default out, so an
  // EdgeT made without `directed` packs to an Edge table without it.
  const old = new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(8n, 2, 3, null, 1, [])));
  const bytes = encodeEnvelope({ seq: 0, hlc: stamp, payload: old });
  const decoded = decodeEvent(eventKind({ type: 'edge-created', stamp, edge: twoWay }), bytes);
  t.true(
    decoded.ok &&
      decoded.value.type === 'edge-created' &&
      decoded.value.edge.directed === undefined &&
      sameValue(decoded.value.edge, twoWay),
  );

  const state = new ShardState();
  state.apply({ type: 'edge-created', stamp, edge: oneWay });
  state.apply({ type: 'edge-created', stamp, edge: twoWay });
  const restored = new ShardState();
  t.true(decodeSnapshotInto(encodeSnapshot(state), restored).ok);
  t.true(sameValue(restored.edges.get(7n), oneWay));
  t.true(sameValue(restored.edges.get(8n), twoWay));
  t.deepEqual(
    restored.topologyEdges().sort((a, c) => Number(a.id - c.id)),
    [
      { id: 7n, source: 1, target: 2, weight: 2, directed: true },
      { id: 8n, source: 2, target: 3, weight: 1 },
    ],
  );
});

test('the topology carries direction; an upsert that turns an edge around is a removal and an addition; a plain add cannot turn it', async (t) => {
  const store = await pgStore(t);
  const g = await startGraph(store, { shards: 2 }, t);
  const seen: TopologyChange[] = [];
  ok(await g.update({ op: 'batch', ops: [1, 2, 3].map((id) => ({ op: 'add-node', node: { id } })) }));
  ok(await g.update({ op: 'add-edge', edge: { id: 7, source: 1, target: 2, weight: 2, directed: true } }));
  g.router.tell({ type: 'subscribe-topology', subscriber: { path: '/test/sub', tell: (c: TopologyChange) => void seen.push(c) } });
  ok(await g.update({ op: 'add-edge', edge: { id: 8, source: 2, target: 3 } }));
  const refused = ok(await g.update({ op: 'add-edge', edge: { id: 7, source: 1, target: 2, weight: 2 } }));
  t.is(refused.results[0]!.status, 'conflict', 'a plain add of a different value is a conflict');
  ok(await g.update({ op: 'add-edge', edge: { id: 7, source: 1, target: 2, weight: 2 }, upsert: true }));
  const edgeChanges = seen.map((c) => {
    if (c.type === 'reset') return ['reset', c.edges.map((e) => [e.id, e.directed === true])];
    if (c.type === 'edges-added') return ['added', c.edges.map((e) => [e.id, e.directed === true])];
    if (c.type === 'edges-removed') return ['removed', c.ids];
    return [c.type];
  });
  t.deepEqual(edgeChanges, [
    ['reset', [[7n, true]]],
    ['added', [[8n, false]]],
    ['removed', [7n]],
    ['added', [[7n, false]]],
  ]);
  const page = await g.system.ask<Parameters<typeof g.router.tell>[0], { edges: readonly { id: bigint; directed: boolean }[] }>(
    g.router,
    (replyTo) => ({ type: 'edges', offset: 0, limit: 10, replyTo }),
    5_000,
  );
  t.deepEqual(
    page.edges.map((e) => [e.id, e.directed]),
    [
      [7n, false],
      [8n, false],
    ],
    'the edge list follows the upsert, in place',
  );
});
