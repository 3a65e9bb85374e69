// A map of last-writer-wins registers with tombstones: a state-based CRDT. Removing a key leaves a
// tombstone so that an older concurrent write cannot resurrect it; merge is pointwise register
// merge, hence commutative, associative and idempotent.
import type { Hlc } from './hlc.ts';
import { canonicalOrder, mergeRegister, wins, type LwwRegister, type ValueOrder } from './lww-register.ts';

export class LwwMap<K, T> {
  private readonly registers = new Map<K, LwwRegister<T>>();

  constructor(private readonly order: ValueOrder<T> = canonicalOrder) {}

  /** Writes `value` at `stamp`; returns false (and changes nothing) when the current write is newer. */
  set(key: K, value: T, stamp: Hlc): boolean {
    return this.apply(key, { stamp, value });
  }

  remove(key: K, stamp: Hlc): boolean {
    return this.apply(key, { stamp, value: undefined });
  }

  /** Merges one register in; true when it changed what is stored. */
  apply(key: K, incoming: LwwRegister<T>): boolean {
    const current = this.registers.get(key);
    if (current === undefined) {
      this.registers.set(key, incoming);
      return true;
    }
    const merged = mergeRegister(current, incoming, this.order);
    if (merged === current) return false;
    this.registers.set(key, merged);
    return true;
  }

  /** Whether a write at `stamp` would win for `key`. */
  wouldWin(key: K, stamp: Hlc): boolean {
    return wins(stamp, this.registers.get(key));
  }

  get(key: K): T | undefined {
    return this.registers.get(key)?.value;
  }

  register(key: K): LwwRegister<T> | undefined {
    return this.registers.get(key);
  }

  /** Puts a register back exactly as it was (`undefined`: none), to roll back a write that never committed. */
  restore(key: K, register: LwwRegister<T> | undefined): void {
    if (register === undefined) this.registers.delete(key);
    else this.registers.set(key, register);
  }

  merge(other: LwwMap<K, T>): void {
    for (const [key, reg] of other.registers) this.apply(key, reg);
  }

  /** Every register, tombstones included. */
  entries(): IterableIterator<[K, LwwRegister<T>]> {
    return this.registers.entries();
  }

  /** Live keys and values. */
  *live(): IterableIterator<[K, T]> {
    for (const [key, reg] of this.registers) if (reg.value !== undefined) yield [key, reg.value];
  }

  get size(): number {
    return this.registers.size;
  }
}
