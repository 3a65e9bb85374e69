// A last-writer-wins register: a value (or a tombstone, `undefined`) and the HLC stamp of the write
// that set it. Merge keeps the greater stamp; for the equal stamps that only a buggy or hostile
// writer produces, a total order on the values decides, so merge stays commutative, associative
// and idempotent whatever it is given.
import { compareHlc, type Hlc } from './hlc.ts';

export interface LwwRegister<T> {
  readonly stamp: Hlc;
  /** `undefined` is a tombstone: the entity was removed at `stamp`. */
  readonly value: T | undefined;
}

/** A total order on values, used only to break ties between equal stamps. */
export type ValueOrder<T> = (a: T | undefined, b: T | undefined) => number;

/** Orders values by their canonical JSON text (bigints as strings); tombstones first. */
export function canonicalOrder<T>(a: T | undefined, b: T | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const ca = canonicalJson(a);
  const cb = canonicalJson(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    }
    return v;
  });
}

export function mergeRegister<T>(a: LwwRegister<T>, b: LwwRegister<T>, order: ValueOrder<T> = canonicalOrder): LwwRegister<T> {
  const c = compareHlc(a.stamp, b.stamp);
  if (c !== 0) return c > 0 ? a : b;
  return order(a.value, b.value) >= 0 ? a : b;
}

/** Whether a write stamped `stamp` would win against `current` (strictly newer). */
export function wins(stamp: Hlc, current: LwwRegister<unknown> | undefined): boolean {
  return current === undefined || compareHlc(stamp, current.stamp) > 0;
}
