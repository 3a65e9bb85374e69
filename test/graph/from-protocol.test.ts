// A FlatBuffers GraphBatch from a client becomes a router command that passes validation, and the
// object API (what the GraphPort gets) maps to the same command as the envelope.
import test from 'ava';
import { commandFromEnvelope, commandFromMutation } from '../../src/graph/from-protocol.ts';
import { parseCommand } from '../../src/graph/commands.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/protocol/index.ts';
import { AddEdgeT } from '../../src/protocol/generated/vf/add-edge.ts';
import { AddNodeT } from '../../src/protocol/generated/vf/add-node.ts';
import { EdgeT } from '../../src/protocol/generated/vf/edge.ts';
import { GraphBatchT } from '../../src/protocol/generated/vf/graph-batch.ts';
import { GraphOp } from '../../src/protocol/generated/vf/graph-op.ts';
import { GraphUpdateT } from '../../src/protocol/generated/vf/graph-update.ts';
import { NodeT } from '../../src/protocol/generated/vf/node.ts';
import { UpdateNodeT } from '../../src/protocol/generated/vf/update-node.ts';
import { EdgeWeightChangeT, KeyValueT, RemoveEdgeT, RemoveNodeT, Vec3T } from '../../src/protocol/index.ts';

test('a wire GraphBatch becomes a valid batch command, stamped with the envelope HLC', (t) => {
  const title = new NodeT(2);
  title.title = 'renamed';
  const batch = new GraphBatchT([
    new GraphUpdateT(GraphOp.AddNode, new AddNodeT(new NodeT(1))),
    new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(9n, 1, 2, null, 2))),
    new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(title)),
  ]);
  const bytes = encodeEnvelope({ seq: 1, hlc: { wallMs: 1_700_000_000_000, logical: 0, node: 5 }, payload: batch });
  const env = decodeEnvelope(bytes);
  t.true(env.ok);
  if (!env.ok) return;
  const parsed = parseCommand(commandFromEnvelope(env.value));
  t.true(parsed.ok, parsed.ok ? '' : parsed.error);
  if (!parsed.ok || parsed.command.op !== 'batch') return;
  t.deepEqual(
    parsed.command.ops.map((o) => o.op),
    ['add-node', 'add-edge', 'update-node'],
  );
  const update = parsed.command.ops[2]!;
  t.true(update.op === 'update-node' && update.patch.title === 'renamed' && update.patch.metadata === undefined);
  t.deepEqual(update.stamp, { wallMs: 1_700_000_000_000, logical: 0, node: 5 });
});

test('the object API and the envelope share one mapping: the same change gives the same command', (t) => {
  const n = new NodeT(3, 2, 'doc', 'title', 'content', new Vec3T(1, 2, 3));
  n.metadata = [new KeyValueT('k', 'v')];
  const patch = new NodeT(3);
  patch.title = 'only the title';
  const updates = [
    new GraphUpdateT(GraphOp.AddNode, new AddNodeT(n)),
    new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(patch)),
    new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(9n, 3, 3, 'self', 0.5, [new KeyValueT('a', 'b')]))),
    new GraphUpdateT(GraphOp.EdgeWeightChange, new EdgeWeightChangeT(9n, 2)),
    new GraphUpdateT(GraphOp.RemoveEdge, new RemoveEdgeT(9n)),
    new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)),
  ];
  const stamp = { wallMs: 1_700_000_000_000, logical: 2, node: 5 };
  for (const u of updates) {
    const env = decodeEnvelope(encodeEnvelope({ seq: 1, hlc: stamp, payload: u }));
    if (!env.ok) return t.fail();
    t.deepEqual(commandFromEnvelope(env.value), commandFromMutation({ kind: 'update', update: u }, stamp));
    t.true(parseCommand(commandFromMutation({ kind: 'update', update: u })).ok);
  }
  const env = decodeEnvelope(encodeEnvelope({ seq: 1, payload: new GraphBatchT(updates) }));
  if (!env.ok) return t.fail();
  t.deepEqual(commandFromEnvelope(env.value), commandFromMutation({ kind: 'batch', batch: new GraphBatchT(updates) }));
  const parsed = parseCommand(commandFromMutation({ kind: 'update', update: updates[0]! }));
  t.like(parsed, {
    ok: true,
    command: { op: 'add-node', node: { id: 3, kind: 'task', type: 'doc', title: 'title', content: 'content', metadata: [['k', 'v']] } },
  });
});

test('a node patch leaves out the kind it does not name: an UpdateNode keeps an agent an agent', (t) => {
  const parsed = parseCommand({ op: 'update-node', id: 7, patch: { metadata: { status: 'lost' } } });
  t.true(parsed.ok && parsed.command.op === 'update-node' && !('kind' in parsed.command.patch), JSON.stringify(parsed));
  const named = parseCommand({ op: 'update-node', id: 7, patch: { kind: 'agent' } });
  t.true(named.ok && named.command.op === 'update-node' && named.command.patch.kind === 'agent');
  const wire = new NodeT(7, 6, 'agent', 'agent-1');
  wire.metadata = [new KeyValueT('status', 'lost')];
  const fromWire = parseCommand(
    commandFromMutation({ kind: 'update', update: new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(wire)) }),
  );
  t.true(fromWire.ok && fromWire.command.op === 'update-node' && !('kind' in fromWire.command.patch), JSON.stringify(fromWire));
});
