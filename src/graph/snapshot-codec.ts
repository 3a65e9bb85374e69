// A shard's snapshot: every register it holds (tombstones too, so an older write cannot come back
// after recovery) as the same verified envelopes the journal uses, framed as
//   "VFS1" | u32 count | count x (u32 length | envelope | zero padding to 8 bytes)
// A live node is an AddNode, a removed one a RemoveNode, likewise for edges; the stamp is the hlc.
import type { Decoded } from './event-codec.ts';
import { decodeSnapshotEntry, encodeEvent } from './event-codec.ts';
import type { GraphEvent } from './events.ts';
import type { ShardState } from './shard-state.ts';

const MAGIC = 0x31534656; // "VFS1" little-endian

export function encodeSnapshot(state: ShardState): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 8;
  const push = (e: GraphEvent): void => {
    const bytes = encodeEvent(e);
    parts.push(bytes);
    size += 4 + bytes.length + pad(4 + bytes.length);
  };
  for (const [id, reg] of state.nodes.entries()) {
    push(
      reg.value === undefined ? { type: 'node-removed', stamp: reg.stamp, id } : { type: 'node-added', stamp: reg.stamp, node: reg.value },
    );
  }
  for (const [id, reg] of state.edges.entries()) {
    push(
      reg.value === undefined
        ? { type: 'edge-deleted', stamp: reg.stamp, id }
        : { type: 'edge-created', stamp: reg.stamp, edge: reg.value },
    );
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, parts.length, true);
  let at = 8;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length + pad(4 + p.length);
  }
  return out;
}

function pad(n: number): number {
  return (8 - (n % 8)) % 8;
}

/** Loads a snapshot into `state`; stops at the first damaged entry and says where. */
export function decodeSnapshotInto(bytes: Uint8Array, state: ShardState): Decoded<number> {
  if (bytes.length < 8) return { ok: false, error: 'snapshot shorter than its header' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return { ok: false, error: 'not a VFS1 snapshot' };
  const count = view.getUint32(4, true);
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) return { ok: false, error: `snapshot truncated at entry ${i}` };
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.length) return { ok: false, error: `snapshot entry ${i} overruns the snapshot` };
    const entry = bytes.subarray(at + 4, at + 4 + len);
    const decoded = decodeSnapshotEntry(entry);
    if (!decoded.ok) return { ok: false, error: `snapshot entry ${i}: ${decoded.error}` };
    const e = decoded.value;
    // Snapshot entries set registers whole (tombstones included), whatever they held.
    if (e.type === 'node-added') state.nodes.set(e.node.id, e.node, e.stamp);
    else if (e.type === 'node-removed') state.nodes.remove(e.id, e.stamp);
    else if (e.type === 'edge-created') state.edges.set(e.edge.id, e.edge, e.stamp);
    else if (e.type === 'edge-deleted') state.edges.remove(e.id, e.stamp);
    at += 4 + len + pad(4 + len);
  }
  return { ok: true, value: count };
}
