// The update pipeline end to end on the real PostgreSQL: validate -> pre-process -> apply ->
// persist -> broadcast, for every kind of change and for batches; acks only after commit; a node
// removal removes its edges on every shard; restart recovers the same graph.
import test from 'ava';
import type { GraphAck } from '../../src/actors/graph-router.ts';
import { replayTo } from '../../src/graph/replay.ts';
import type { TopologyChange } from '../../src/graph/topology.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { pgStore } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';

function ok(ack: GraphAck): Extract<GraphAck, { ok: true }> {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack;
}

test('every change kind goes through the pipeline, is journaled as FlatBuffers and replays', async (t) => {
  const store = await pgStore(t);
  const g = await startGraph(store, { shards: 3 }, t);
  const seen: TopologyChange[] = [];
  g.router.tell({ type: 'subscribe-topology', subscriber: { path: '/test/sub', tell: (c: TopologyChange) => void seen.push(c) } });

  ok(await g.update({ op: 'add-node', node: { id: 1, title: 'one', metadata: { b: '2', a: '1' } } }));
  ok(
    await g.update({
      op: 'batch',
      ops: [
        { op: 'add-node', node: { id: 2, kind: 'concept' } },
        { op: 'add-node', node: { id: 3 } },
      ],
    }),
  );
  ok(await g.update({ op: 'add-edge', edge: { id: 10, source: 1, target: 2 } }));
  ok(await g.update({ op: 'add-edge', edge: { id: 11, source: 3, target: 1, weight: 2.5 } }));
  ok(await g.update({ op: 'update-node', id: 1, patch: { title: 'uno' } }));
  ok(await g.update({ op: 'move-node', id: 2, position: { x: 1, y: 2, z: 3 } }));
  ok(await g.update({ op: 'set-edge-weight', id: 11, weight: 4 }));
  const removed = ok(await g.update({ op: 'remove-node', id: 1 }));
  t.deepEqual(removed.results, [{ status: 'applied' }]);

  const view = await replayTo(store.db);
  t.deepEqual([...view.nodes.keys()].sort(), [2, 3]);
  t.is(view.edges.size, 0, 'removing node 1 removed edges 10 and 11 (on other shards too)');
  t.deepEqual(view.nodes.get(2)?.position, { x: 1, y: 2, z: 3 });

  const kinds = await store.db.query('SELECT kind, count(*) AS n FROM graph_events GROUP BY kind ORDER BY kind');
  t.deepEqual(
    kinds.map((r) => [asNumber(r.kind), asNumber(r.n)]),
    [
      [1, 3],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 2],
      [6, 2],
      [7, 1],
    ],
  );
  const [row] = await store.db.query('SELECT payload FROM graph_events ORDER BY seq LIMIT 1');
  const payload = row!.payload as Uint8Array;
  t.is(Buffer.from(payload.subarray(4, 8)).toString('latin1'), 'VFEN', 'payload is a FlatBuffers envelope');

  const last = seen[seen.length - 1]!;
  t.is(seen[0]!.type, 'reset');
  const removals = seen.filter((c) => c.version === last.version).map((c) => c.type);
  t.deepEqual(removals, ['edges-removed', 'nodes-removed'], 'edges are listed before the node removal');

  await g.stop();
  const again = await startGraph(store, { shards: 3 }, t);
  const stats = await again.stats();
  t.is(stats.nodes, 2);
  t.is(stats.edges, 0);
});

test('validation: bad input, missing endpoints and id clashes are refused and change nothing', async (t) => {
  const store = await pgStore(t);
  const g = await startGraph(store, { shards: 2 }, t);
  const bad = await g.update({ op: 'add-node', node: { id: -1 } });
  t.false(bad.ok);
  t.is(!bad.ok && bad.error.code, 'invalid');
  const huge = await g.update({ op: 'add-node', node: { id: 1, title: 'x'.repeat(2000) } });
  t.is(!huge.ok && huge.error.code, 'invalid');
  const missing = await g.update({
    op: 'batch',
    ops: [
      { op: 'add-node', node: { id: 5 } },
      { op: 'add-edge', edge: { id: 1, source: 5, target: 6 } },
    ],
  });
  t.is(!missing.ok && missing.error.code, 'endpoint-missing');
  t.is((await g.stats()).nodes, 0, 'the batch is all or nothing: node 5 was not added');
  ok(
    await g.update({
      op: 'batch',
      ops: [
        { op: 'add-node', node: { id: 5 } },
        { op: 'add-node', node: { id: 6 } },
        { op: 'add-edge', edge: { id: 1, source: 5, target: 6 } },
      ],
    }),
  );
  const clash = await g.update({ op: 'add-edge', edge: { id: 1, source: 6, target: 5 } });
  t.is(!clash.ok && clash.error.code, 'edge-id-conflict');
  const noNode = await g.update({ op: 'move-node', id: 99, position: { x: 0, y: 0, z: 0 } });
  t.is(!noNode.ok && noNode.error.code, 'not-found');
  const again = ok(await g.update({ op: 'add-node', node: { id: 5 } }));
  t.deepEqual(again.results, [{ status: 'unchanged' }], 're-adding the same node is a no-op');
  const count = await store.db.query('SELECT count(*) AS n FROM graph_events');
  t.is(asNumber(count[0]!.n), 3);
});
