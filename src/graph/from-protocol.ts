// A graph change from the wire as a plain command for the router, which validates it again with zod
// like any other input. One mapping serves both forms a change arrives in: the object API
// (GraphUpdateT / GraphBatchT, what the gateway hands the GraphPort) and a verified envelope
// (vf.GraphUpdate or vf.GraphBatch accessor, unpacked into the object API first). The envelope's
// HLC, when present, is the client's stamp for the change (every op of a batch carries it).
//
// The mapping never throws and never repairs: whatever cannot be read (a missing node, an unknown
// kind, bytes that are not UTF-8) is passed on in a form the router's validation refuses.
import type { Hlc } from '../crdt/hlc.ts';
import { Payload, type Envelope } from '../protocol/index.ts';
import type { AddEdgeT } from '../protocol/generated/vf/add-edge.ts';
import type { AddNodeT } from '../protocol/generated/vf/add-node.ts';
import type { EdgeT } from '../protocol/generated/vf/edge.ts';
import type { EdgeWeightChangeT } from '../protocol/generated/vf/edge-weight-change.ts';
import { GraphBatch, type GraphBatchT } from '../protocol/generated/vf/graph-batch.ts';
import { GraphOp } from '../protocol/generated/vf/graph-op.ts';
import { GraphUpdate, type GraphUpdateT } from '../protocol/generated/vf/graph-update.ts';
import type { KeyValueT } from '../protocol/generated/vf/key-value.ts';
import type { NodeT } from '../protocol/generated/vf/node.ts';
import type { RemoveEdgeT } from '../protocol/generated/vf/remove-edge.ts';
import type { RemoveNodeT } from '../protocol/generated/vf/remove-node.ts';
import type { UpdateNodeT } from '../protocol/generated/vf/update-node.ts';
import { NODE_KINDS } from './topology.ts';

/** A client's GraphMutation, structurally (changes.ts). */
export type WireMutation =
  { readonly kind: 'update'; readonly update: GraphUpdateT } | { readonly kind: 'batch'; readonly batch: GraphBatchT };

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Not a string, so validation refuses it with a readable path. */
const NOT_UTF8 = Symbol('not UTF-8');

function str(s: string | Uint8Array | null): string | undefined | typeof NOT_UTF8 {
  if (s === null) return undefined;
  if (typeof s === 'string') return s;
  try {
    return UTF8.decode(s);
  } catch {
    return NOT_UTF8;
  }
}

function metadataOf(m: readonly KeyValueT[]): unknown[] {
  return m.map((kv) => [str(kv.key) ?? '', str(kv.value) ?? '']);
}

function withOptional(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}

function nodeOf(n: NodeT | null | undefined): Record<string, unknown> | undefined {
  if (n === null || n === undefined) return undefined;
  // An unknown kind stays a number: validation refuses it instead of guessing.
  const out: Record<string, unknown> = { id: n.id, kind: NODE_KINDS[n.kind] ?? n.kind, metadata: metadataOf(n.metadata) };
  withOptional(out, 'type', str(n.type));
  withOptional(out, 'title', str(n.title));
  withOptional(out, 'content', str(n.content));
  if (n.position !== null) out.position = { x: n.position.x, y: n.position.y, z: n.position.z };
  return out;
}

function edgeOf(e: EdgeT | null | undefined): Record<string, unknown> | undefined {
  if (e === null || e === undefined) return undefined;
  const out: Record<string, unknown> = {
    id: e.id,
    source: e.source,
    target: e.target,
    weight: e.weight,
    metadata: metadataOf(e.metadata),
    directed: e.directed,
  };
  withOptional(out, 'type', str(e.type));
  return out;
}

/** One wire op as a router op (undefined when the union is empty or unknown: validation refuses it). */
export function opFromUpdate(u: GraphUpdateT | null | undefined, stamp?: Hlc): Record<string, unknown> | undefined {
  if (u === null || u === undefined || u.op === null) return undefined;
  const s = stamp === undefined ? {} : { stamp };
  switch (u.opType) {
    case GraphOp.AddNode:
      return { op: 'add-node', node: nodeOf((u.op as AddNodeT).node), ...s };
    case GraphOp.UpdateNode: {
      const node = nodeOf((u.op as UpdateNodeT).node);
      if (node === undefined) return { op: 'update-node', ...s };
      // On the wire an absent kind reads as the default and an empty metadata vector as empty:
      // neither can mean "change it" in a partial update, so neither is taken from one.
      const { id, metadata, kind: _kind, ...rest } = node;
      return { op: 'update-node', id, patch: (metadata as unknown[]).length === 0 ? rest : { ...rest, metadata }, ...s };
    }
    case GraphOp.RemoveNode:
      return { op: 'remove-node', id: (u.op as RemoveNodeT).id, ...s };
    case GraphOp.AddEdge:
      return { op: 'add-edge', edge: edgeOf((u.op as AddEdgeT).edge), ...s };
    case GraphOp.RemoveEdge:
      return { op: 'remove-edge', id: (u.op as RemoveEdgeT).id, ...s };
    case GraphOp.EdgeWeightChange: {
      const w = u.op as EdgeWeightChangeT;
      return { op: 'set-edge-weight', id: w.id, weight: w.weight, ...s };
    }
    default:
      return undefined;
  }
}

/** A batch as one command, applied as one unit. */
export function commandFromBatch(b: GraphBatchT, stamp?: Hlc): unknown {
  return { op: 'batch', ops: b.updates.map((u) => opFromUpdate(u, stamp)) };
}

/** The command for an object-API mutation (what the gateway's GraphPort.apply receives). */
export function commandFromMutation(m: WireMutation, stamp?: Hlc): unknown {
  return m.kind === 'update' ? opFromUpdate(m.update, stamp) : commandFromBatch(m.batch, stamp);
}

/**
 * The client's stamp on an envelope. A stamp with wall_ms 0 reads as none (a builder that always
 * writes the struct leaves it zero), so the server stamps that change itself.
 */
export function stampOfEnvelope(env: Envelope): Hlc | undefined {
  const h = env.hlc();
  if (h === null || h.wallMs() === 0n) return undefined;
  return { wallMs: Number(h.wallMs()), logical: h.logical(), node: h.node() };
}

/** The command an envelope carries, or undefined when its payload is not a graph change. */
export function commandFromEnvelope(env: Envelope): unknown {
  const stamp = stampOfEnvelope(env);
  if (env.payloadType() === Payload.GraphUpdate) return opFromUpdate((env.payload(new GraphUpdate()) as GraphUpdate).unpack(), stamp);
  if (env.payloadType() === Payload.GraphBatch) return commandFromBatch((env.payload(new GraphBatch()) as GraphBatch).unpack(), stamp);
  return undefined;
}
