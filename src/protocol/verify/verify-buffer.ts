// A verifier for FlatBuffers written over the binary format and driven by the schema layout that
// codegen reads from flatc: the TypeScript runtime has none, and its accessors trust every offset.
// Structural checks: every offset, vtable, string and vector inside the buffer, scalar vectors aligned
// (the generated `xxxArray()` accessors build typed-array views), union tags known, depth limited.
// Semantic checks: floats finite, 64-bit integers within Number's safe range, enum values declared,
// string and vector lengths and numeric ranges as the schema's vf_* attributes say, UTF-8 valid.
// Work is budgeted by buffer size, so offsets shared many times over cannot make it blow up.
// A valid buffer is walked without building strings or keeping a trail: where the walk is becomes
// text only when a check fails (each level adds its piece as the failure passes through it), and
// per-field lookups are worked out once per layout. A string that many offsets share (a batch's
// paths) is checked in full once per walk.
import type { ProtocolErrorCode } from '../errors.ts';
import { BaseType, scalarSize, type EnumValueLayout, type FieldLayout, type ObjectLayout, type SchemaLayout } from './schema-layout.ts';

export interface VerifyLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: VerifyLimits = { maxBytes: 64 * 1024 * 1024, maxDepth: 24 };

export class VerifyError {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly message: string,
  ) {}
}

const MAX_SAFE_HIGH = 0x1fffff; // high 32 bits of Number.MAX_SAFE_INTEGER
/** Strings inside vectors (paths, capabilities, agent names) share one bound. */
const MAX_STRING_IN_VECTOR = 65536;

/**
 * What the walk needs of the layout beyond the layout itself, worked out once per field and enum
 * rather than per visit: the ".name" of each field for error locations, the type field paired with
 * each union value field and the other way round, and each enum's values as a set.
 */
interface FieldExtra {
  readonly dotted: string;
  readonly inlineSize: number;
  /** Union value field: its type field's vtable offset (-1: none). UType field: its value field's. */
  readonly pair: number;
  /** A scalar with nothing to check beyond its bounds (no float, 64-bit, range or enum). */
  readonly plain: boolean;
}

interface Lookups {
  /** Per object, per field in layout order. */
  readonly fields: readonly (readonly FieldExtra[])[];
  /** Per enum, its values by number. */
  readonly values: readonly ReadonlyMap<number, EnumValueLayout>[];
  /** Per union, its members by tag (a union tag is a byte): an array lookup, not a map's. */
  readonly members: readonly (readonly (EnumValueLayout | undefined)[])[];
  /** Per union member, "<Member>" for error locations. */
  readonly labels: ReadonlyMap<EnumValueLayout, string>;
}

const lookups = new WeakMap<SchemaLayout, Lookups>();

function lookupsOf(schema: SchemaLayout): Lookups {
  let found = lookups.get(schema);
  if (found !== undefined) return found;
  const fields = schema.objects.map((obj) =>
    obj.fields.map((field): FieldExtra => {
      let inlineSize: number;
      if (field.type === BaseType.Obj) {
        const target = schema.objects[field.index];
        inlineSize = target !== undefined && target.isStruct ? target.byteSize : 4;
      } else {
        const s = scalarSize(field.type);
        inlineSize = s === 0 ? 4 : s;
      }
      let pair = -1;
      if (field.type === BaseType.Union)
        pair = obj.fields.find((f) => f.type === BaseType.UType && f.offset === field.offset - 2)?.offset ?? -1;
      else if (field.type === BaseType.UType)
        pair = obj.fields.find((f) => f.type === BaseType.Union && f.offset === field.offset + 2)?.offset ?? -1;
      const plain = scalarSize(field.type) > 0 && field.type !== BaseType.UType && !needsScalarCheck(field.type, field);
      return { dotted: `.${field.name}`, inlineSize, pair, plain };
    }),
  );
  const values = schema.enums.map((e) => new Map(e.values.map((v) => [v.value, v])));
  const members = schema.enums.map((e) => {
    const byTag = new Array<EnumValueLayout | undefined>(256).fill(undefined);
    if (e.isUnion) for (const v of e.values) if (v.value >= 0 && v.value < 256) byTag[v.value] = v;
    return byTag;
  });
  const labels = new Map(schema.enums.flatMap((e) => e.values.map((v): [EnumValueLayout, string] => [v, `<${v.name}>`])));
  found = { fields, values, members, labels };
  lookups.set(schema, found);
  return found;
}

// The verifier runs in the viewer too, so no Node built-in: a fatal TextDecoder checks what is not ASCII.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when bytes[from, to) is valid UTF-8; ASCII, the common case, without leaving JavaScript,
 * four bytes at a time where `from` is 4-aligned (a string's bytes follow its 4-byte length).
 */
function validUtf8(bytes: Uint8Array, view: DataView, from: number, to: number): boolean {
  let i = from;
  if (i % 4 === 0) while (i + 4 <= to && (view.getUint32(i, true) & 0x80808080) === 0) i += 4;
  for (; i < to; i++) {
    if (bytes[i]! < 0x80) continue;
    try {
      utf8.decode(bytes.subarray(from, to));
      return true;
    } catch {
      return false;
    }
  }
  return true;
}

/** A failed check on its way up to the root, gathering where it happened (innermost piece first). */
class Failure {
  readonly pieces: (string | number)[] = [];
  constructor(
    readonly code: ProtocolErrorCode,
    readonly what: string,
  ) {}
}

/** Strings checked in full this walk, by position (+1: 0 is empty): a small direct-mapped cache. */
const STRING_CACHE = 64;

class Walker {
  private readonly view: DataView;
  private readonly len: number;
  private budget: number;
  private readonly lookups: Lookups;
  private readonly stringsChecked = new Int32Array(STRING_CACHE);

  constructor(
    private readonly bytes: Uint8Array,
    private readonly schema: SchemaLayout,
    private readonly limits: VerifyLimits,
  ) {
    this.lookups = lookupsOf(schema);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
    // A buffer without sharing holds at most one table, string or vector element per byte.
    this.budget = this.len + 64;
  }

  private fail(code: ProtocolErrorCode, what: string): never {
    throw new Failure(code, what);
  }

  /** Adds where the walk was at this level to a failure passing through (a piece: ".field", "<Member>" or an index). */
  private static within(error: unknown, piece: string | number): never {
    if (error instanceof Failure) error.pieces.push(piece);
    throw error;
  }

  private spend(n: number): void {
    this.budget -= n;
    if (this.budget < 0) this.fail('TOO_COMPLEX', 'more objects than the buffer can hold (shared offsets)');
  }

  private inBounds(pos: number, size: number): void {
    if (pos < 0 || size < 0 || pos + size > this.len) this.fail('OUT_OF_BOUNDS', `[${pos}, +${size}) outside ${this.len} bytes`);
  }

  /** Follows the uoffset stored at `at`; the target must be 4-aligned and inside the buffer. */
  private follow(at: number): number {
    this.inBounds(at, 4);
    const target = at + this.view.getUint32(at, true);
    this.inBounds(target, 4);
    if (target % 4 !== 0) this.fail('MISALIGNED', `offset target ${target} not 4-aligned`);
    return target;
  }

  root(): void {
    try {
      if (this.len > this.limits.maxBytes) this.fail('TOO_LARGE', `${this.len} bytes > ${this.limits.maxBytes}`);
      if (this.len < 8) this.fail('TOO_SHORT', `${this.len} bytes`);
      const id = this.schema.fileIdent;
      for (let i = 0; i < id.length; i++) {
        if (this.bytes[4 + i] !== id.charCodeAt(i)) this.fail('BAD_IDENTIFIER', `file identifier is not ${id}`);
      }
      this.table(this.follow(0), this.schema.root, 1);
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      let where = this.schema.objects[this.schema.root]?.name ?? 'root';
      for (let i = error.pieces.length - 1; i >= 0; i--) {
        const piece = error.pieces[i]!;
        where += typeof piece === 'number' ? `[${piece}]` : piece;
      }
      throw new VerifyError(error.code, `${where}: ${error.what}`);
    }
  }

  private table(pos: number, objectIndex: number, depth: number): void {
    const obj = this.schema.objects[objectIndex];
    if (obj === undefined) this.fail('INTERNAL', `no object ${objectIndex}`);
    if (depth > this.limits.maxDepth) this.fail('TOO_DEEP', `nesting deeper than ${this.limits.maxDepth}`);
    this.spend(1);
    const view = this.view;
    const vtable = pos - view.getInt32(pos, true);
    this.inBounds(vtable, 4);
    if (vtable % 2 !== 0) this.fail('MISALIGNED', 'vtable not 2-aligned');
    const vtSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0) this.fail('BAD_VTABLE', `vtable size ${vtSize}`);
    this.inBounds(vtable, vtSize);
    if (tableSize < 4) this.fail('BAD_VTABLE', `table size ${tableSize}`);
    this.inBounds(pos, tableSize);
    const fields = obj.fields;
    const fieldExtras = this.lookups.fields[objectIndex]!;
    let f = 0;
    try {
      for (; f < fields.length; f++) {
        const field = fields[f]!;
        const voff = field.offset < vtSize ? view.getUint16(vtable + field.offset, true) : 0;
        if (voff === 0) {
          if (field.required) this.fail('MISSING_FIELD', 'required field absent');
          continue;
        }
        const extra = fieldExtras[f]!;
        const size = extra.inlineSize;
        if (voff < 4 || voff + size > tableSize) this.fail('BAD_VTABLE', `field at ${voff}+${size} outside table of ${tableSize}`);
        // A plain scalar inside the table is all checked by now.
        if (!extra.plain) this.field(field, extra, pos, pos + voff, vtable, vtSize, depth);
      }
    } catch (error) {
      Walker.within(error, fieldExtras[f]!.dotted);
    }
  }

  private field(field: FieldLayout, extra: FieldExtra, tablePos: number, at: number, vtable: number, vtSize: number, depth: number): void {
    switch (field.type) {
      case BaseType.String:
        this.string(this.follow(at), field.maxLen);
        return;
      case BaseType.Vector:
        this.vector(this.follow(at), field, depth);
        return;
      case BaseType.Obj: {
        const target = this.schema.objects[field.index];
        if (target === undefined) this.fail('INTERNAL', 'unknown object');
        if (target.isStruct) this.struct(at, target);
        else this.table(this.follow(at), field.index, depth + 1);
        return;
      }
      case BaseType.Union: {
        const tag = this.unionTag(extra.pair, tablePos, vtable, vtSize);
        const member = this.lookups.members[field.index]?.[tag];
        if (member === undefined || member.object < 0) this.fail('UNKNOWN_UNION', `union tag ${tag}`);
        const target = this.follow(at);
        try {
          this.table(target, member.object, depth + 1);
        } catch (error) {
          Walker.within(error, this.lookups.labels.get(member)!);
        }
        return;
      }
      case BaseType.UType: {
        const tag = this.view.getUint8(at);
        if (this.lookups.members[field.index]?.[tag] === undefined) this.fail('UNKNOWN_UNION', `union tag ${tag}`);
        // A tag without its value (or NONE with a value) is caught on the value field and below.
        if (extra.pair >= 0 && tag !== 0) {
          const voff = extra.pair < vtSize ? this.view.getUint16(vtable + extra.pair, true) : 0;
          if (voff === 0) this.fail('MISSING_FIELD', `union tag ${tag} without a value`);
        }
        return;
      }
      default:
        this.scalar(field.type, at, field);
    }
  }

  private unionTag(typeOffset: number, tablePos: number, vtable: number, vtSize: number): number {
    if (typeOffset < 0 || typeOffset >= vtSize) return 0;
    const voff = this.view.getUint16(vtable + typeOffset, true);
    return voff === 0 ? 0 : this.view.getUint8(tablePos + voff);
  }

  private string(pos: number, maxLen: number | null): void {
    this.spend(1);
    const n = this.view.getUint32(pos, true);
    // The same string seen before in this walk (the same bytes): in bounds, terminated and UTF-8
    // then, so only its length against this field's bound is left to check.
    const slot = (pos >>> 2) % STRING_CACHE;
    const seen = this.stringsChecked[slot] === pos + 1;
    if (!seen) this.inBounds(pos + 4, n + 1);
    if (maxLen !== null && n > maxLen) this.fail('TOO_LONG', `string of ${n} bytes > ${maxLen}`);
    if (seen) return;
    if (this.bytes[pos + 4 + n] !== 0) this.fail('OUT_OF_BOUNDS', 'string not zero-terminated');
    if (!validUtf8(this.bytes, this.view, pos + 4, pos + 4 + n)) this.fail('BAD_UTF8', 'string is not valid UTF-8');
    this.stringsChecked[slot] = pos + 1;
  }

  private vector(pos: number, field: FieldLayout, depth: number): void {
    const n = this.view.getUint32(pos, true);
    if (field.maxLen !== null && n > field.maxLen) this.fail('TOO_LONG', `vector of ${n} > ${field.maxLen}`);
    const el = field.element;
    const struct = el === BaseType.Obj ? this.schema.objects[field.index] : undefined;
    const scalar = scalarSize(el);
    const elemSize = struct?.isStruct === true ? struct.byteSize : scalar === 0 ? 4 : scalar;
    const start = pos + 4;
    this.inBounds(start, n * elemSize);
    this.spend(n);
    if (scalar > 1 && start % scalar !== 0) this.fail('MISALIGNED', `vector of ${scalar}-byte elements at ${start}`);
    if (el === BaseType.Union || el === BaseType.UType || el === BaseType.Vector) {
      if (n > 0) this.fail('INTERNAL', 'vectors of unions are not used by this protocol');
      return;
    }
    // Scalars without a range or enum to check: bounds and alignment, checked above, are all.
    if (struct === undefined && el !== BaseType.String && !needsScalarCheck(el, field)) return;
    let i = 0;
    // Whether a failure is inside element i (its offset followed) and so located there.
    let inside = false;
    try {
      for (; i < n; i++) {
        const at = start + i * elemSize;
        if (el === BaseType.String) {
          const target = this.follow(at);
          inside = true;
          this.string(target, MAX_STRING_IN_VECTOR);
        } else if (struct !== undefined && !struct.isStruct) {
          const target = this.follow(at);
          inside = true;
          this.table(target, field.index, depth + 1);
        } else {
          inside = true;
          if (struct !== undefined) this.struct(at, struct);
          else this.scalar(el, at, field);
        }
        inside = false;
      }
    } catch (error) {
      if (inside) Walker.within(error, i);
      throw error;
    }
  }

  private struct(at: number, struct: ObjectLayout): void {
    this.inBounds(at, struct.byteSize);
    for (const f of struct.fields) {
      if (f.type === BaseType.Obj) {
        const inner = this.schema.objects[f.index];
        if (inner === undefined) this.fail('INTERNAL', 'unknown struct');
        try {
          this.struct(at + f.offset, inner);
        } catch (error) {
          Walker.within(error, `.${f.name}`);
        }
      } else {
        try {
          this.scalar(f.type, at + f.offset, f);
        } catch (error) {
          Walker.within(error, `.${f.name}`);
        }
      }
    }
  }

  private scalar(type: BaseType, at: number, field: FieldLayout): void {
    let value: number;
    switch (type) {
      case BaseType.Bool:
      case BaseType.UByte:
        value = this.view.getUint8(at);
        break;
      case BaseType.Byte:
        value = this.view.getInt8(at);
        break;
      case BaseType.Short:
        value = this.view.getInt16(at, true);
        break;
      case BaseType.UShort:
        value = this.view.getUint16(at, true);
        break;
      case BaseType.Int:
        value = this.view.getInt32(at, true);
        break;
      case BaseType.UInt:
        value = this.view.getUint32(at, true);
        break;
      case BaseType.ULong: {
        const high = this.view.getUint32(at + 4, true);
        if (high > MAX_SAFE_HIGH) this.fail('OUT_OF_RANGE', 'uint64 beyond Number.MAX_SAFE_INTEGER');
        value = high * 2 ** 32 + this.view.getUint32(at, true);
        break;
      }
      case BaseType.Long: {
        const high = this.view.getInt32(at + 4, true);
        if (high > MAX_SAFE_HIGH || high < -MAX_SAFE_HIGH - 1) this.fail('OUT_OF_RANGE', 'int64 beyond the safe range');
        value = high * 2 ** 32 + this.view.getUint32(at, true);
        break;
      }
      case BaseType.Float:
        value = this.view.getFloat32(at, true);
        if (!Number.isFinite(value)) this.fail('NOT_FINITE', String(value));
        break;
      case BaseType.Double:
        value = this.view.getFloat64(at, true);
        if (!Number.isFinite(value)) this.fail('NOT_FINITE', String(value));
        break;
      default:
        this.fail('INTERNAL', `unexpected base type ${type}`);
    }
    if (field.min !== null && value < field.min) this.fail('OUT_OF_RANGE', `${value} < ${field.min}`);
    if (field.max !== null && value > field.max) this.fail('OUT_OF_RANGE', `${value} > ${field.max}`);
    if (field.index >= 0) {
      const e = this.schema.enums[field.index];
      if (e !== undefined && !e.isUnion && this.lookups.values[field.index]?.has(value) !== true) {
        this.fail('UNKNOWN_ENUM', `${value} is not a ${e.name}`);
      }
    }
  }
}

/** Whether a scalar vector's elements need a look each: floats (finite), 64-bit (safe), ranges, enums. */
function needsScalarCheck(el: BaseType, field: FieldLayout): boolean {
  return (
    el === BaseType.Float ||
    el === BaseType.Double ||
    el === BaseType.Long ||
    el === BaseType.ULong ||
    field.min !== null ||
    field.max !== null ||
    field.index >= 0
  );
}

/** Throws VerifyError (only) when `bytes` is not a safe buffer of the schema's root table. */
export function verifyBuffer(bytes: Uint8Array, schema: SchemaLayout, limits: VerifyLimits = DEFAULT_LIMITS): void {
  new Walker(bytes, schema, limits).root();
}
