// Membership in a sorted id list by binary search: a client's view held as 4 bytes a node, where
// a Set would take ten times that for a big selection.

/** Whether `sorted` (ascending) holds `id`. */
export function sortedHas(sorted: Uint32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === id;
}
