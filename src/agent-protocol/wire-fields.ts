// Checks and conversions between the agent messages' plain fields and the tables' fields. Encoding
// refuses (RangeError) what the receiver's verifier would refuse: the whole frame would be closed
// with 1007 and nothing in it delivered, so a bad message must fail at its own tell (it dead-letters
// at the sender) rather than take the others of its frame with it. Decoding reads a table the
// verifier has already bounded, and still clamps, so a decoded message is always in range even if
// a schema's bounds are loosened later.
import type { Builder } from 'flatbuffers';
import { writeString } from '../runtime/remote/codec-strings.ts';

const U32_MAX = 0xffffffff;

/** UTF-8 length of `s` without encoding it when its UTF-16 length already settles the question. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Writes `s` (at most `maxBytes` of UTF-8) into the builder; RangeError beyond. */
export function boundedString(b: Builder, field: string, s: string, maxBytes: number): number {
  if (typeof s !== 'string') throw new RangeError(`${field} must be a string`);
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no count.
  if (s.length * 3 > maxBytes && utf8Length(s) > maxBytes) {
    throw new RangeError(`${field} is ${utf8Length(s)} bytes of UTF-8, more than the ${maxBytes} the schema allows`);
  }
  return writeString(b, s);
}

/** A string field that may be absent: "" is left out of the table, and reads back as "". */
export function optionalString(b: Builder, field: string, s: string, maxBytes: number): number {
  return s === '' ? 0 : boundedString(b, field, s, maxBytes);
}

/** Cuts `s` to at most `maxBytes` of UTF-8 on a character boundary (for text only shown to people). */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || utf8Length(s) <= maxBytes) return s;
  const bytes = Buffer.from(s, 'utf8').subarray(0, maxBytes);
  // A cut through a multi-byte character decodes as U+FFFD: drop it.
  return bytes.toString('utf8').replace(/\uFFFD$/, '');
}

/** An unsigned 32-bit field; RangeError for anything else. */
export function u32(field: string, n: number, max = U32_MAX): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${field} must be an integer from 0 to ${max}, got ${n}`);
  return n;
}

/** An unsigned 8-bit field. */
export function u8(field: string, n: number): number {
  return u32(field, n, 255);
}

/** A non-negative safe integer for a 64-bit field. */
export function u53(field: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${field} must be a non-negative safe integer, got ${n}`);
  return n;
}

/** A float field bounded to [min, max]: telemetry and progress are clamped, never refused. */
export function clampFloat(n: number, min: number, max: number): number {
  if (Number.isNaN(n)) return min;
  // The bounds of the schema are exact in float32, and rounding keeps order: the stored value
  // stays inside them.
  return Math.fround(Math.min(max, Math.max(min, n)));
}

/** A decoded number forced into [min, max] (the verifier has bounded it already). */
export function within(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}
