// The "physics pre-processing" step of the update pipeline: bring every value into the form the
// journal and the layout hold (32-bit floats, sorted metadata) and give a new node without a
// position a deterministic starting point, spread on a sphere by its id, so the layout never
// starts from a pile of nodes at the origin (which makes repulsion blow up).
import type { GraphOp, NodePatch } from './commands.ts';
import { f32, f32Vec, normaliseMetadata, type EdgeValue, type NodeValue } from './model.ts';
import type { Vec3 } from './topology.ts';

/** Radius of the sphere new nodes start on, in layout units. */
export const SEED_RADIUS = 100;

export function seedPosition(id: number): Vec3 {
  // Golden-angle spiral indexed by a hash of the id: deterministic, evenly spread.
  let h = Math.imul(id ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  const u = h / 4294967296;
  const y = 1 - 2 * u;
  const r = Math.sqrt(Math.max(0, 1 - y * y));
  const theta = id * 2.399963229728653;
  return f32Vec({ x: SEED_RADIUS * r * Math.cos(theta), y: SEED_RADIUS * y, z: SEED_RADIUS * r * Math.sin(theta) });
}

export function normaliseNode(n: NodeValue, seed: boolean): NodeValue {
  const out: { -readonly [K in keyof NodeValue]: NodeValue[K] } = {
    id: n.id,
    kind: n.kind ?? 'knowledge',
    metadata: normaliseMetadata(n.metadata ?? []),
  };
  if (n.type !== undefined) out.type = n.type;
  if (n.title !== undefined) out.title = n.title;
  if (n.content !== undefined) out.content = n.content;
  if (n.position !== undefined) out.position = f32Vec(n.position);
  else if (seed) out.position = seedPosition(n.id);
  return out;
}

export function normaliseEdge(e: EdgeValue): EdgeValue {
  const out: { -readonly [K in keyof EdgeValue]: EdgeValue[K] } = {
    id: e.id,
    source: e.source,
    target: e.target,
    weight: f32(e.weight ?? 1),
    metadata: normaliseMetadata(e.metadata ?? []),
  };
  if (e.type !== undefined) out.type = e.type;
  if (e.directed === true) out.directed = true;
  return out;
}

function normalisePatch(p: NodePatch): NodePatch {
  const out: { -readonly [K in keyof NodePatch]: NodePatch[K] } = {};
  if (p.kind !== undefined) out.kind = p.kind;
  if (p.type !== undefined) out.type = p.type;
  if (p.title !== undefined) out.title = p.title;
  if (p.content !== undefined) out.content = p.content;
  if (p.position !== undefined) out.position = f32Vec(p.position);
  if (p.metadata !== undefined) out.metadata = normaliseMetadata(p.metadata);
  return out;
}

export function preprocess(op: GraphOp): GraphOp {
  switch (op.op) {
    case 'add-node':
      return { ...op, node: normaliseNode(op.node, true) };
    case 'update-node':
      return { ...op, patch: normalisePatch(op.patch) };
    case 'move-node':
      return { ...op, position: f32Vec(op.position) };
    case 'add-edge':
      return { ...op, edge: normaliseEdge(op.edge) };
    case 'set-edge-weight':
      return { ...op, weight: f32(op.weight) };
    case 'remove-node':
    case 'remove-edge':
      return op;
  }
}

/** A node with `patch` applied: present fields replace, absent ones stay. */
export function patchNode(n: NodeValue, p: NodePatch): NodeValue {
  return { ...n, ...p, id: n.id, metadata: p.metadata ?? n.metadata };
}
