// A hash index from non-negative safe integers (node ids, edge ids) to non-negative int32 values,
// in one typed array: open addressing with linear probing, at most half full, deletion by shifting
// the following entries back (no tombstones, so lookups never slow down as entries come and go).
// Each slot is a (key, value) pair of doubles side by side, so a probe touches one cache line.
//
// Why not a Map: a million-node, four-million-edge graph snapshot is a few million inserts and ten
// million lookups; Map's per-entry objects made that load take about 10 s, most of it in hashing
// and allocation. Here a lookup is one probe sequence in two flat arrays.

const EMPTY = -1;
/** Slot s is table[2s] (key) and table[2s + 1] (value, or EMPTY). */
const TWO_32 = 2 ** 32;

export class IdIndex {
  private table: Float64Array;
  private mask: number;
  /** 32 - log2(capacity): a home slot is the top bits of a multiplicative hash. */
  private shift: number;
  size = 0;

  constructor(expected = 8) {
    let capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    this.table = emptyTable(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  /** The value stored for `key`, or -1. */
  get(key: number): number {
    const table = this.table;
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      const v = table[2 * slot + 1]!;
      if (v === EMPTY) return EMPTY;
      if (table[2 * slot] === key) return v;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== EMPTY;
  }

  /** Stores `value` (>= 0) for `key` (a non-negative safe integer), replacing any value it had. */
  set(key: number, value: number): void {
    if (4 * (this.size + 1) > this.table.length) this.grow();
    const table = this.table;
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      if (table[2 * slot + 1] === EMPTY) {
        table[2 * slot] = key;
        table[2 * slot + 1] = value;
        this.size++;
        return;
      }
      if (table[2 * slot] === key) {
        table[2 * slot + 1] = value;
        return;
      }
    }
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: number): boolean {
    const table = this.table;
    const mask = this.mask;
    let slot = this.home(key);
    while (table[2 * slot + 1] !== EMPTY && table[2 * slot] !== key) slot = (slot + 1) & mask;
    if (table[2 * slot + 1] === EMPTY) return false;
    // Shift back every later entry of the run that may sit there: one whose home is not
    // cyclically in (hole, its slot].
    let hole = slot;
    for (let next = (slot + 1) & mask; table[2 * next + 1] !== EMPTY; next = (next + 1) & mask) {
      const home = this.home(table[2 * next]!);
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      table[2 * hole] = table[2 * next]!;
      table[2 * hole + 1] = table[2 * next + 1]!;
      hole = next;
    }
    table[2 * hole + 1] = EMPTY;
    this.size--;
    return true;
  }

  clear(): void {
    this.table = emptyTable(this.mask + 1);
    this.size = 0;
  }

  private home(key: number): number {
    // Mix both 32-bit halves (edge ids may exceed 2^32), then keep the high bits of the product:
    // ids in strides (multiples of 1024, say) spread as well as consecutive ones.
    const lo = key >>> 0;
    const hi = (key / TWO_32) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const old = this.table;
    this.table = emptyTable(2 * (this.mask + 1));
    this.mask = 2 * this.mask + 1;
    this.shift--;
    this.size = 0;
    for (let k = 0; k < old.length; k += 2) if (old[k + 1] !== EMPTY) this.set(old[k]!, old[k + 1]!);
  }
}

function emptyTable(capacity: number): Float64Array {
  const table = new Float64Array(2 * capacity);
  for (let slot = 0; slot < capacity; slot++) table[2 * slot + 1] = EMPTY;
  return table;
}
