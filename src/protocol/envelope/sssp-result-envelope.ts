// An SsspResult envelope written straight from typed arrays, once per result, then stamped with
// each receiver's seq and correlation id. The object API (SsspResultT.pack) adds a million-node
// result element by element: 130-220 ms per receiver, on the thread that streams positions. Here
// the three vectors are bulk copies, and a receiver gets a 100-byte head of its own in front of the
// body every receiver shares (two fragments of one WebSocket message).
//
// The layout is fixed, front to back (every offset points forward, as FlatBuffers requires):
//
//   0   root offset -> Envelope table (32)      4  file identifier "VFEN"
//   8   Envelope vtable (8 fields)              32 Envelope table:
//         +0 soffset to vtable, +4 payload offset, +8 seq (u64), +16 correlation_id (u64),
//         +24 version (u16), +26 payload_type (u8)
//   60  SsspResult vtable (5 fields)            76 SsspResult table:
//         +0 soffset, +4 source, +8 nodes, +12 distances, +16 parents (offsets), +20 complete
//   100 nodes: u32 count, u32 ids; then distances: u32 count, f32; then parents: u32 count, u32 ids
import { Payload } from '../generated/vf/payload.ts';
import { ENVELOPE_IDENTIFIER, PROTOCOL_VERSION } from './codec.ts';

/** A shortest-path result as the wire's parallel vectors (index i: one reached node). */
export interface SsspResultArrays {
  readonly source: number;
  readonly nodes: Uint32Array;
  readonly distances: Float32Array;
  readonly parents: Uint32Array;
  /** False when the run stopped early at its targets. */
  readonly complete: boolean;
}

const ENVELOPE_VTABLE = 8;
const ENVELOPE = 32;
const RESULT_VTABLE = 60;
const RESULT = 76;
const VECTORS = 100;
const SEQ = ENVELOPE + 8;
const CORRELATION = ENVELOPE + 16;

/** An envelope whose three vectors are views into its own bytes, to be filled in place. */
export interface SsspResultEnvelopeDraft {
  /** The whole envelope, seq and correlation id 0 (stampEnvelope gives each receiver its own). */
  readonly bytes: Uint8Array;
  readonly nodes: Uint32Array;
  readonly distances: Float32Array;
  readonly parents: Uint32Array;
}

/**
 * The envelope of a result of `n` nodes, everything written but the vectors' entries: a writer
 * fills `nodes`, `distances` and `parents` (views into `bytes`) and the envelope is done. The SSSP
 * worker gathers a result straight into one, so the main thread copies nothing.
 */
export function draftSsspResultEnvelope(source: number, n: number, complete: boolean): SsspResultEnvelopeDraft {
  const nodesAt = VECTORS;
  const distancesAt = nodesAt + 4 + 4 * n;
  const parentsAt = distancesAt + 4 + 4 * n;
  const bytes = new Uint8Array(parentsAt + 4 + 4 * n);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ENVELOPE, true);
  for (let i = 0; i < 4; i++) bytes[4 + i] = ENVELOPE_IDENTIFIER.charCodeAt(i);
  // Envelope vtable: its size, the table's size, then each field's offset in the table (0: absent).
  const envelopeFields = [24, 8, 16, 0, 0, 0, 26, 4]; // version, seq, correlation_id, sender, recipient, hlc, payload_type, payload
  view.setUint16(ENVELOPE_VTABLE, 4 + 2 * envelopeFields.length, true);
  view.setUint16(ENVELOPE_VTABLE + 2, 28, true);
  envelopeFields.forEach((offset, i) => view.setUint16(ENVELOPE_VTABLE + 4 + 2 * i, offset, true));
  view.setInt32(ENVELOPE, ENVELOPE - ENVELOPE_VTABLE, true);
  view.setUint32(ENVELOPE + 4, RESULT - (ENVELOPE + 4), true);
  view.setUint16(ENVELOPE + 24, PROTOCOL_VERSION, true);
  view.setUint8(ENVELOPE + 26, Payload.SsspResult);
  const resultFields = [4, 8, 12, 16, 20]; // source, nodes, distances, parents, complete
  view.setUint16(RESULT_VTABLE, 4 + 2 * resultFields.length, true);
  view.setUint16(RESULT_VTABLE + 2, 24, true);
  resultFields.forEach((offset, i) => view.setUint16(RESULT_VTABLE + 4 + 2 * i, offset, true));
  view.setInt32(RESULT, RESULT - RESULT_VTABLE, true);
  view.setUint32(RESULT + 4, source, true);
  view.setUint32(RESULT + 8, nodesAt - (RESULT + 8), true);
  view.setUint32(RESULT + 12, distancesAt - (RESULT + 12), true);
  view.setUint32(RESULT + 16, parentsAt - (RESULT + 16), true);
  view.setUint8(RESULT + 20, complete ? 1 : 0);
  for (const at of [nodesAt, distancesAt, parentsAt]) view.setUint32(at, n, true);
  // Little-endian on every platform Node runs on, so typed-array views are the wire.
  return {
    bytes,
    nodes: new Uint32Array(bytes.buffer, nodesAt + 4, n),
    distances: new Float32Array(bytes.buffer, distancesAt + 4, n),
    parents: new Uint32Array(bytes.buffer, parentsAt + 4, n),
  };
}

/** The envelope bytes of `result`, seq and correlation id 0; stampEnvelope gives each receiver its own. */
export function ssspResultEnvelope(result: SsspResultArrays): Uint8Array {
  const n = result.nodes.length;
  if (result.distances.length !== n || result.parents.length !== n) {
    throw new RangeError(`an SSSP result's vectors differ in length: ${n}, ${result.distances.length}, ${result.parents.length}`);
  }
  const draft = draftSsspResultEnvelope(result.source, n, result.complete);
  draft.nodes.set(result.nodes);
  draft.distances.set(result.distances);
  draft.parents.set(result.parents);
  return draft.bytes;
}

/**
 * A receiver's envelope from `template` (ssspResultEnvelope), with its seq and correlation id: its
 * own copy of the head, then the shared body. The two parts, joined, are the message.
 */
export function stampEnvelope(template: Uint8Array, seq: number, correlationId: number): readonly [Uint8Array, Uint8Array] {
  const head = template.slice(0, VECTORS);
  const view = new DataView(head.buffer);
  view.setBigUint64(SEQ, BigInt(seq), true);
  view.setBigUint64(CORRELATION, BigInt(correlationId), true);
  return [head, template.subarray(VECTORS)];
}
