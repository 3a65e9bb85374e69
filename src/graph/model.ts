// The graph's values as the shards hold them: a node and an edge, each the value of one
// last-writer-wins register. Numbers are stored as the wire stores them (positions and weights
// as 32-bit floats) so that what is replayed from the journal equals what was held in memory.
import { canonicalJson } from '../crdt/lww-register.ts';
import type { NodeKind, Vec3 } from './topology.ts';

export type Metadata = readonly (readonly [string, string])[];

export interface NodeValue {
  /** u32. */
  readonly id: number;
  readonly kind: NodeKind;
  readonly type?: string;
  readonly title?: string;
  readonly content?: string;
  readonly position?: Vec3;
  /** Sorted by key, keys unique. */
  readonly metadata: Metadata;
}

export interface EdgeValue {
  /** Below 2^53, as the wire verifier requires of every u64. */
  readonly id: bigint;
  readonly source: number;
  readonly target: number;
  readonly type?: string;
  /** Finite, non-negative, a 32-bit float. */
  readonly weight: number;
  readonly metadata: Metadata;
  /**
   * True: followed from source to target only. Absent means undirected (never stored as false), so
   * values written before edges had a direction compare equal to undirected ones written now.
   */
  readonly directed?: true;
}

export const MAX_NODE_ID = 0xffffffff;
export const MAX_EDGE_ID = BigInt(Number.MAX_SAFE_INTEGER);

export function sameValue(a: NodeValue | EdgeValue | undefined, b: NodeValue | EdgeValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/** Sorts by key and keeps the last value of a repeated key. */
export function normaliseMetadata(entries: Iterable<readonly [string, string]>): Metadata {
  const map = new Map<string, string>();
  for (const [k, v] of entries) map.set(k, v);
  return [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function f32(x: number): number {
  return Math.fround(x);
}

export function f32Vec(v: Vec3): Vec3 {
  return { x: f32(v.x), y: f32(v.y), z: f32(v.z) };
}
