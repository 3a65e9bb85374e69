// Paths out of a result: follow parents from the target back to the source.
import type { SsspResult } from './engine.ts';

/** Indices from the source to `target` (inclusive), or null when the target was not reached. */
export function pathIndices(result: SsspResult, target: number): Int32Array | null {
  if (target < 0 || target >= result.size || result.distance[target] === Infinity) return null;
  let length = 1;
  for (let v = target; v !== result.sourceIndex; v = result.parent[v]!) {
    // A chain longer than the graph, or one that breaks off, is a broken result, never a path.
    if (result.parent[v]! < 0 || length > result.size) return null;
    length++;
  }
  const out = new Int32Array(length);
  for (let v = target, k = length - 1; k >= 0; v = result.parent[v]!, k--) out[k] = v;
  return out;
}

/** The same by wire id: the ids from the source to `targetId`, or null when not reached. */
export function pathTo(result: SsspResult, targetId: number): number[] | null {
  const index = indexOfId(result, targetId);
  if (index < 0) return null;
  const path = pathIndices(result, index);
  return path === null ? null : Array.from(path, (i) => result.ids[i]!);
}

/** Index of a wire id in this result's graph version, or -1 (a linear scan over reached nodes). */
export function indexOfId(result: SsspResult, id: number): number {
  for (const i of result.order) if (result.ids[i] === id) return i;
  return -1;
}

/** Distance to a node by wire id: Infinity when it was not reached. */
export function distanceTo(result: SsspResult, id: number): number {
  const i = indexOfId(result, id);
  return i < 0 ? Infinity : result.distance[i]!;
}
