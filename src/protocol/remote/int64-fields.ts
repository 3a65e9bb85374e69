// 64-bit integer fields as Numbers, for codecs (through src/runtime/remote/codec-numbers.ts) and
// the frame. The generated accessors take and give bigint for (u)long fields, and flatbuffers'
// ByteBuffer splits and joins them with BigInt arithmetic: several BigInt allocations a field, on
// every message. The protocol only ever carries values within Number's safe range (the verifier
// refuses a 64-bit field beyond it before anything is decoded), so a safe integer is written here
// as its two 32-bit halves straight into the builder, and read back the same way: the bytes the
// generated addXxx writes for BigInt(value), by the same steps (aligned, a default left out). Like
// writeString it reaches the builder's `space`, `bb` and `force_defaults` (private in the
// typings, public in the JavaScript) of the exact flatbuffers version this project pins; a test
// checks the bytes against the generated code's.
import type { Builder, ByteBuffer } from 'flatbuffers';

interface BuilderInternals {
  space: number;
  bb: ByteBuffer;
  force_defaults: boolean;
}

const TWO_32 = 2 ** 32;

/**
 * Adds field number `field` (its id in the schema, as the generated addXxx passes it) of the table
 * being built: a 64-bit integer, signed or not, from a safe integer. Left out when it equals
 * `defaultValue`, as the generated code does. Throws RangeError for anything but a safe integer.
 */
export function addFieldInt64(b: Builder, field: number, value: number, defaultValue = 0): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`a 64-bit field takes a safe integer, not ${value}`);
  const inner = b as unknown as BuilderInternals;
  if (value === defaultValue && !inner.force_defaults) return;
  b.prep(8, 0);
  const high = Math.floor(value / TWO_32);
  const at = (inner.space -= 8);
  const bb = inner.bb;
  bb.writeInt32(at, value - high * TWO_32);
  bb.writeInt32(at + 4, high);
  b.slot(field);
}

/** A table as the generated accessors are: its buffer and where it starts. */
export interface TableView {
  readonly bb: ByteBuffer | null;
  readonly bb_pos: number;
}

/**
 * Field number `field` of a verified table, a 64-bit integer (signed or not) as a Number;
 * `defaultValue` when absent. Exact: the verifier has bounded every 64-bit field to the safe range.
 */
export function readFieldInt64(table: TableView, field: number, defaultValue = 0): number {
  const bb = table.bb!;
  const o = bb.__offset(table.bb_pos, 4 + 2 * field);
  if (o === 0) return defaultValue;
  const at = table.bb_pos + o;
  return bb.readInt32(at + 4) * TWO_32 + bb.readUint32(at);
}
