// What each committed event touched (ChangeScope), as the topology hub reads it just before the
// event applies, and how the change hub hands it to subscribers beside the wire ops.
import test from 'ava';
import type { Hlc } from '../../src/crdt/hlc.ts';
import { ChangeHub } from '../../src/graph/change-hub.ts';
import type { GraphEvent } from '../../src/graph/events.ts';
import type { NodeValue } from '../../src/graph/model.ts';
import { TopologyHub } from '../../src/graph/topology-hub.ts';
import type { NodeKind } from '../../src/graph/topology.ts';
import { GraphOp, NodeKind as WireKind, type UpdateNodeT } from '../../src/protocol/index.ts';
import { collector } from '../fixtures/graph-port.ts';

const stamp: Hlc = { wallMs: 1_700_000_000_000, logical: 0, node: 1 };
const node = (id: number, kind: NodeKind): NodeValue => ({ id, kind, metadata: [] });
const edge = (id: bigint, source: number, target: number) => ({ id, source, target, weight: 1, metadata: [] });

test('scopes name each event’s nodes with their kinds, read before the event applies', (t) => {
  const hub = new TopologyHub();
  const events: GraphEvent[] = [
    { type: 'node-added', stamp, node: node(1, 'agent') },
    { type: 'node-added', stamp, node: node(2, 'file') },
    { type: 'edge-created', stamp, edge: edge(7n, 1, 2) },
    { type: 'edge-created', stamp, edge: edge(8n, 2, 2) },
  ];
  t.deepEqual(hub.publish(events), [
    { ids: [1], kinds: [WireKind.Agent], adds: true },
    { ids: [2], kinds: [WireKind.File], adds: true },
    { ids: [1, 2], kinds: [WireKind.Agent, WireKind.File], adds: false },
    { ids: [2], kinds: [WireKind.File], adds: false },
  ]);
  const later: GraphEvent[] = [
    { type: 'node-moved', stamp, id: 1, position: { x: 1, y: 2, z: 3 } },
    { type: 'edge-weight-changed', stamp, id: 7n, weight: 3 },
    { type: 'node-updated', stamp, node: node(1, 'task') },
    { type: 'edge-deleted', stamp, id: 7n },
    { type: 'node-removed', stamp, id: 2 },
    { type: 'edge-deleted', stamp, id: 99n },
    { type: 'node-moved', stamp, id: 2, position: { x: 0, y: 0, z: 0 } },
  ];
  t.deepEqual(hub.publish(later), [
    { ids: [1], kinds: [WireKind.Agent], adds: false },
    { ids: [1, 2], kinds: [WireKind.Agent, WireKind.File], adds: false },
    { ids: [1], kinds: [WireKind.Task], adds: false, formerKind: WireKind.Agent }, // its kind changed
    // The deleted edge's endpoints and the removed node's kind: gone from the view after the event.
    { ids: [1, 2], kinds: [WireKind.Task, WireKind.File], adds: false },
    { ids: [2], kinds: [WireKind.File], adds: false },
    { ids: [], kinds: [], adds: false },
    { ids: [2], kinds: [-1], adds: false },
  ]);
  // Upserting a node the view holds is no addition.
  t.false(hub.publish([{ type: 'node-added', stamp, node: node(1, 'task') }])[0]!.adds);
});

test('the change hub sends the scopes beside the ops; a move carries its node’s kind', (t) => {
  const topology = new TopologyHub();
  const changes = new ChangeHub();
  const sub = collector();
  changes.subscribe(sub);
  const publish = (events: GraphEvent[]): void => changes.publish(topology.version + 1, events, topology.publish(events), 'origin');
  publish([{ type: 'node-added', stamp, node: node(5, 'concept') }]);
  publish([
    { type: 'node-moved', stamp, id: 5, position: { x: 4, y: 5, z: 6 } },
    { type: 'node-removed', stamp, id: 5 },
  ]);
  t.is(sub.seen.length, 2);
  const [added, moved] = sub.seen;
  t.deepEqual(added!.scopes, [{ ids: [5], kinds: [WireKind.Concept], adds: true }]);
  t.is(moved!.version, topology.version);
  t.deepEqual(
    moved!.scopes.map((s) => s.kinds),
    [[WireKind.Concept], [WireKind.Concept]],
  );
  const ops = moved!.change.kind === 'batch' ? moved!.change.batch.updates : [];
  t.deepEqual(
    ops.map((u) => u.opType),
    [GraphOp.UpdateNode, GraphOp.RemoveNode],
  );
  t.is((ops[0]!.op as UpdateNodeT).node!.kind, WireKind.Concept, 'not the default kind (Knowledge)');
  t.throws(() => changes.publish(9, [{ type: 'node-removed', stamp, id: 5 }], [], undefined), { message: /1 events but 0 scopes/ });
});

test('a unit over the op limit is split into several changes, each with its own scopes', (t) => {
  const topology = new TopologyHub();
  const changes = new ChangeHub();
  const sub = collector();
  changes.subscribe(sub);
  const events: GraphEvent[] = Array.from({ length: 1500 }, (_, i) => ({
    type: 'node-added',
    stamp,
    node: node(i + 1, i % 2 === 0 ? 'user' : 'memory'),
  }));
  changes.publish(1, events, topology.publish(events), undefined);
  t.deepEqual(
    sub.seen.map((c) => c.scopes.length),
    [1000, 500],
  );
  t.deepEqual(sub.seen[1]!.scopes[0], { ids: [1001], kinds: [WireKind.User], adds: true });
});
