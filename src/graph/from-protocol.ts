// A verified wire message (vf.GraphUpdate or vf.GraphBatch inside an Envelope, already checked by
// decodeEnvelope) as a plain command for the router, which validates it again with zod like any
// other input. The envelope's HLC, when present, is the client's stamp for its optimistic edits.
import type { Hlc } from '../crdt/hlc.ts';
import { Payload, type Envelope } from '../protocol/index.ts';
import { AddEdge } from '../protocol/generated/vf/add-edge.ts';
import { AddNode } from '../protocol/generated/vf/add-node.ts';
import { EdgeWeightChange } from '../protocol/generated/vf/edge-weight-change.ts';
import { GraphBatch } from '../protocol/generated/vf/graph-batch.ts';
import { GraphOp } from '../protocol/generated/vf/graph-op.ts';
import { GraphUpdate } from '../protocol/generated/vf/graph-update.ts';
import { RemoveEdge } from '../protocol/generated/vf/remove-edge.ts';
import { RemoveNode } from '../protocol/generated/vf/remove-node.ts';
import { UpdateNode } from '../protocol/generated/vf/update-node.ts';
import { readEdge, readNode } from './event-codec.ts';

function opOf(u: GraphUpdate, stamp: Hlc | undefined): Record<string, unknown> | undefined {
  const s = stamp === undefined ? {} : { stamp };
  switch (u.opType()) {
    case GraphOp.AddNode:
      return { op: 'add-node', node: readNode((u.op(new AddNode()) as AddNode).node()!), ...s };
    case GraphOp.UpdateNode: {
      const { id, ...patch } = readNode((u.op(new UpdateNode()) as UpdateNode).node()!);
      // On the wire an absent kind reads as the default and an empty metadata vector as empty:
      // neither can mean "change it" in a partial update, so neither is taken from one.
      const { metadata, kind: _kind, ...rest } = patch;
      return { op: 'update-node', id, patch: metadata.length === 0 ? rest : { ...rest, metadata }, ...s };
    }
    case GraphOp.RemoveNode:
      return { op: 'remove-node', id: (u.op(new RemoveNode()) as RemoveNode).id(), ...s };
    case GraphOp.AddEdge:
      return { op: 'add-edge', edge: readEdge((u.op(new AddEdge()) as AddEdge).edge()!), ...s };
    case GraphOp.RemoveEdge:
      return { op: 'remove-edge', id: (u.op(new RemoveEdge()) as RemoveEdge).id(), ...s };
    case GraphOp.EdgeWeightChange: {
      const w = u.op(new EdgeWeightChange()) as EdgeWeightChange;
      return { op: 'set-edge-weight', id: w.id(), weight: w.weight(), ...s };
    }
    default:
      return undefined;
  }
}

/** The command an envelope carries, or undefined when its payload is not a graph change. */
export function commandFromEnvelope(env: Envelope): unknown {
  const h = env.hlc();
  const stamp = h === null ? undefined : { wallMs: Number(h.wallMs()), logical: h.logical(), node: h.node() };
  if (env.payloadType() === Payload.GraphUpdate) return opOf(env.payload(new GraphUpdate()) as GraphUpdate, stamp);
  if (env.payloadType() === Payload.GraphBatch) {
    const b = env.payload(new GraphBatch()) as GraphBatch;
    const ops: unknown[] = [];
    for (let i = 0; i < b.updatesLength(); i++) ops.push(opOf(b.updates(i)!, stamp));
    return { op: 'batch', ops };
  }
  return undefined;
}
