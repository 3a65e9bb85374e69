// A graph event as bytes: one vf.Envelope whose `hlc` is the event's stamp and whose payload is a
// vf.GraphUpdate (AddNode, UpdateNode, RemoveNode, AddEdge, RemoveEdge, EdgeWeightChange). The
// journal's `kind` column tells a move (an UpdateNode carrying only a position) from an update.
// Bytes read back are verified like any untrusted input: a damaged row is an error, not a crash.
import { decodeEnvelope, encodeEnvelope, Payload } from '../protocol/index.ts';
import { AddEdge, AddEdgeT } from '../protocol/generated/vf/add-edge.ts';
import { AddNode, AddNodeT } from '../protocol/generated/vf/add-node.ts';
import { EdgeT, type Edge } from '../protocol/generated/vf/edge.ts';
import { EdgeWeightChange, EdgeWeightChangeT } from '../protocol/generated/vf/edge-weight-change.ts';
import { GraphOp } from '../protocol/generated/vf/graph-op.ts';
import { GraphUpdate, GraphUpdateT } from '../protocol/generated/vf/graph-update.ts';
import { KeyValueT } from '../protocol/generated/vf/key-value.ts';
import { NodeT, type Node } from '../protocol/generated/vf/node.ts';
import { RemoveEdge, RemoveEdgeT } from '../protocol/generated/vf/remove-edge.ts';
import { RemoveNode, RemoveNodeT } from '../protocol/generated/vf/remove-node.ts';
import { UpdateNode, UpdateNodeT } from '../protocol/generated/vf/update-node.ts';
import { Vec3T } from '../protocol/generated/vf/vec3.ts';
import type { Hlc } from '../crdt/hlc.ts';
import { EVENT_KIND, EVENT_TYPE_OF_KIND, type GraphEvent, type GraphEventType } from './events.ts';
import type { EdgeValue, Metadata, NodeValue } from './model.ts';
import { NODE_KINDS, type NodeKind, type Vec3 } from './topology.ts';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const kindIndex = new Map<NodeKind, number>(NODE_KINDS.map((k, i) => [k, i]));

function metadataT(m: Metadata): KeyValueT[] {
  return m.map(([k, v]) => new KeyValueT(k, v));
}

export function nodeT(n: NodeValue, stamp: Hlc): NodeT {
  const p = n.position;
  return new NodeT(
    n.id,
    kindIndex.get(n.kind) ?? 0,
    n.type ?? null,
    n.title ?? null,
    n.content ?? null,
    p === undefined ? null : new Vec3T(p.x, p.y, p.z),
    null,
    metadataT(n.metadata),
    [],
    BigInt(stamp.wallMs),
  );
}

export function edgeT(e: EdgeValue): EdgeT {
  return new EdgeT(e.id, e.source, e.target, e.type ?? null, e.weight, metadataT(e.metadata), e.directed === true);
}

/** An event as the wire op that says what it changed (also what clients are sent). */
export function updateOfEvent(e: GraphEvent): GraphUpdateT {
  switch (e.type) {
    case 'node-added':
      return new GraphUpdateT(GraphOp.AddNode, new AddNodeT(nodeT(e.node, e.stamp)));
    case 'node-updated':
      return new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(nodeT(e.node, e.stamp)));
    case 'node-moved': {
      const n = new NodeT(e.id);
      n.position = new Vec3T(e.position.x, e.position.y, e.position.z);
      n.lastModified = BigInt(e.stamp.wallMs);
      return new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(n));
    }
    case 'node-removed':
      return new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(e.id));
    case 'edge-created':
      return new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(edgeT(e.edge)));
    case 'edge-deleted':
      return new GraphUpdateT(GraphOp.RemoveEdge, new RemoveEdgeT(e.id));
    case 'edge-weight-changed':
      return new GraphUpdateT(GraphOp.EdgeWeightChange, new EdgeWeightChangeT(e.id, e.weight));
  }
}

/** The FlatBuffers bytes of one event (an Envelope with `identifier` VFEN). */
export function encodeEvent(e: GraphEvent): Uint8Array {
  return encodeEnvelope({ seq: 0, hlc: e.stamp, payload: updateOfEvent(e) });
}

export function eventKind(e: GraphEvent): number {
  return EVENT_KIND[e.type];
}

function readMetadata(get: (i: number) => { key(): string | null; value(): string | null } | null, n: number): Metadata {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const kv = get(i);
    if (kv !== null) out.push([kv.key() ?? '', kv.value() ?? '']);
  }
  return out;
}

function readVec(v: { x(): number; y(): number; z(): number } | null): Vec3 | undefined {
  return v === null ? undefined : { x: v.x(), y: v.y(), z: v.z() };
}

export function readNode(n: Node): NodeValue {
  const out: { -readonly [K in keyof NodeValue]: NodeValue[K] } = {
    id: n.id(),
    kind: NODE_KINDS[n.kind()] ?? 'knowledge',
    metadata: readMetadata((i) => n.metadata(i), n.metadataLength()),
  };
  const type = n.type();
  const title = n.title();
  const content = n.content();
  const position = readVec(n.position());
  if (type !== null) out.type = type;
  if (title !== null) out.title = title;
  if (content !== null) out.content = content;
  if (position !== undefined) out.position = position;
  return out;
}

export function readEdge(e: Edge): EdgeValue {
  const out: { -readonly [K in keyof EdgeValue]: EdgeValue[K] } = {
    id: e.id(),
    source: e.source(),
    target: e.target(),
    weight: e.weight(),
    metadata: readMetadata((i) => e.metadata(i), e.metadataLength()),
  };
  const type = e.type();
  if (type !== null) out.type = type;
  if (e.directed()) out.directed = true;
  return out;
}

/** What an envelope holds: the stamp and the verified GraphUpdate accessor. */
export function openEnvelope(bytes: Uint8Array): Decoded<{ stamp: Hlc; update: GraphUpdate }> {
  const env = decodeEnvelope(bytes);
  if (!env.ok) return { ok: false, error: `${env.error.code}: ${env.error.message}` };
  const e = env.value;
  const h = e.hlc();
  if (h === null) return { ok: false, error: 'event without an HLC stamp' };
  if (e.payloadType() !== Payload.GraphUpdate) return { ok: false, error: `payload ${Payload[e.payloadType()]} is not a GraphUpdate` };
  const stamp: Hlc = { wallMs: Number(h.wallMs()), logical: h.logical(), node: h.node() };
  return { ok: true, value: { stamp, update: e.payload(new GraphUpdate()) as GraphUpdate } };
}

/** Decodes a journal row: its `kind` column and its payload. */
export function decodeEvent(kind: number, bytes: Uint8Array): Decoded<GraphEvent> {
  const type = EVENT_TYPE_OF_KIND.get(kind);
  if (type === undefined) return { ok: false, error: `unknown event kind ${kind}` };
  const opened = openEnvelope(bytes);
  if (!opened.ok) return opened;
  return fromUpdate(type, opened.value.stamp, opened.value.update);
}

const SNAPSHOT_TYPE_OF_OP: ReadonlyMap<GraphOp, GraphEventType> = new Map<GraphOp, GraphEventType>([
  [GraphOp.AddNode, 'node-added'],
  [GraphOp.RemoveNode, 'node-removed'],
  [GraphOp.AddEdge, 'edge-created'],
  [GraphOp.RemoveEdge, 'edge-deleted'],
]);

/** Decodes a snapshot entry, whose op alone says what it is (adds and removes only). */
export function decodeSnapshotEntry(bytes: Uint8Array): Decoded<GraphEvent> {
  const opened = openEnvelope(bytes);
  if (!opened.ok) return opened;
  const type = SNAPSHOT_TYPE_OF_OP.get(opened.value.update.opType());
  if (type === undefined) return { ok: false, error: `op ${GraphOp[opened.value.update.opType()]} in a snapshot` };
  return fromUpdate(type, opened.value.stamp, opened.value.update);
}

function fromUpdate(type: GraphEventType, stamp: Hlc, update: GraphUpdate): Decoded<GraphEvent> {
  const expected: Record<typeof type, GraphOp> = {
    'node-added': GraphOp.AddNode,
    'node-updated': GraphOp.UpdateNode,
    'node-moved': GraphOp.UpdateNode,
    'node-removed': GraphOp.RemoveNode,
    'edge-created': GraphOp.AddEdge,
    'edge-deleted': GraphOp.RemoveEdge,
    'edge-weight-changed': GraphOp.EdgeWeightChange,
  };
  if (update.opType() !== expected[type]) return { ok: false, error: `event kind ${type} with op ${GraphOp[update.opType()]}` };
  switch (type) {
    case 'node-added':
      return { ok: true, value: { type, stamp, node: readNode((update.op(new AddNode()) as AddNode).node()!) } };
    case 'node-updated':
      return { ok: true, value: { type, stamp, node: readNode((update.op(new UpdateNode()) as UpdateNode).node()!) } };
    case 'node-moved': {
      const n = (update.op(new UpdateNode()) as UpdateNode).node()!;
      const position = readVec(n.position());
      if (position === undefined) return { ok: false, error: 'node-moved without a position' };
      return { ok: true, value: { type, stamp, id: n.id(), position } };
    }
    case 'node-removed':
      return { ok: true, value: { type, stamp, id: (update.op(new RemoveNode()) as RemoveNode).id() } };
    case 'edge-created':
      return { ok: true, value: { type, stamp, edge: readEdge((update.op(new AddEdge()) as AddEdge).edge()!) } };
    case 'edge-deleted':
      return { ok: true, value: { type, stamp, id: (update.op(new RemoveEdge()) as RemoveEdge).id() } };
    case 'edge-weight-changed': {
      const w = update.op(new EdgeWeightChange()) as EdgeWeightChange;
      return { ok: true, value: { type, stamp, id: w.id(), weight: w.weight() } };
    }
  }
}
