// A verifier for FlatBuffers written over the binary format and driven by the schema layout that
// codegen reads from flatc: the TypeScript runtime has none, and its accessors trust every offset.
// Structural checks: every offset, vtable, string and vector inside the buffer, scalar vectors aligned
// (the generated `xxxArray()` accessors build typed-array views), union tags known, depth limited.
// Semantic checks: floats finite, 64-bit integers within Number's safe range, enum values declared,
// string and vector lengths and numeric ranges as the schema's vf_* attributes say, UTF-8 valid.
// Work is budgeted by buffer size, so offsets shared many times over cannot make it blow up.
import type { ProtocolErrorCode } from '../errors.ts';
import { BaseType, scalarSize, type FieldLayout, type ObjectLayout, type SchemaLayout } from './schema-layout.ts';

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

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_SAFE_HIGH = 0x1fffff; // high 32 bits of Number.MAX_SAFE_INTEGER
/** Strings inside vectors (paths, capabilities, agent names) share one bound. */
const MAX_STRING_IN_VECTOR = 65536;

class Walker {
  private readonly view: DataView;
  private readonly len: number;
  private budget: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly schema: SchemaLayout,
    private readonly limits: VerifyLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
    // A buffer without sharing holds at most one table, string or vector element per byte.
    this.budget = this.len + 64;
  }

  private fail(code: ProtocolErrorCode, where: string, what: string): never {
    throw new VerifyError(code, `${where}: ${what}`);
  }

  private spend(n: number, where: string): void {
    this.budget -= n;
    if (this.budget < 0) this.fail('TOO_COMPLEX', where, 'more objects than the buffer can hold (shared offsets)');
  }

  private inBounds(pos: number, size: number, where: string): void {
    if (pos < 0 || size < 0 || pos + size > this.len) this.fail('OUT_OF_BOUNDS', where, `[${pos}, +${size}) outside ${this.len} bytes`);
  }

  /** Follows the uoffset stored at `at`; the target must be 4-aligned and inside the buffer. */
  private follow(at: number, where: string): number {
    this.inBounds(at, 4, where);
    const target = at + this.view.getUint32(at, true);
    this.inBounds(target, 4, where);
    if (target % 4 !== 0) this.fail('MISALIGNED', where, `offset target ${target} not 4-aligned`);
    return target;
  }

  root(): void {
    const where = this.schema.objects[this.schema.root]?.name ?? 'root';
    if (this.len > this.limits.maxBytes) this.fail('TOO_LARGE', where, `${this.len} bytes > ${this.limits.maxBytes}`);
    if (this.len < 8) this.fail('TOO_SHORT', where, `${this.len} bytes`);
    const id = this.schema.fileIdent;
    for (let i = 0; i < id.length; i++) {
      if (this.bytes[4 + i] !== id.charCodeAt(i)) this.fail('BAD_IDENTIFIER', where, `file identifier is not ${id}`);
    }
    this.table(this.follow(0, where), this.schema.root, 1, where);
  }

  private table(pos: number, objectIndex: number, depth: number, where: string): void {
    const obj = this.schema.objects[objectIndex];
    if (obj === undefined) this.fail('INTERNAL', where, `no object ${objectIndex}`);
    if (depth > this.limits.maxDepth) this.fail('TOO_DEEP', where, `nesting deeper than ${this.limits.maxDepth}`);
    this.spend(1, where);
    const vtable = pos - this.view.getInt32(pos, true);
    this.inBounds(vtable, 4, where);
    if (vtable % 2 !== 0) this.fail('MISALIGNED', where, 'vtable not 2-aligned');
    const vtSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0) this.fail('BAD_VTABLE', where, `vtable size ${vtSize}`);
    this.inBounds(vtable, vtSize, where);
    if (tableSize < 4) this.fail('BAD_VTABLE', where, `table size ${tableSize}`);
    this.inBounds(pos, tableSize, where);
    for (const field of obj.fields) {
      const voff = field.offset < vtSize ? this.view.getUint16(vtable + field.offset, true) : 0;
      const fw = `${where}.${field.name}`;
      if (voff === 0) {
        if (field.required) this.fail('MISSING_FIELD', fw, 'required field absent');
        continue;
      }
      const size = this.inlineSize(field);
      if (voff < 4 || voff + size > tableSize) this.fail('BAD_VTABLE', fw, `field at ${voff}+${size} outside table of ${tableSize}`);
      this.field(obj, field, pos, pos + voff, vtable, vtSize, depth, fw);
    }
  }

  private inlineSize(field: FieldLayout): number {
    if (field.type === BaseType.Obj) {
      const target = this.schema.objects[field.index];
      return target !== undefined && target.isStruct ? target.byteSize : 4;
    }
    const s = scalarSize(field.type);
    return s === 0 ? 4 : s;
  }

  private field(
    obj: ObjectLayout,
    field: FieldLayout,
    tablePos: number,
    at: number,
    vtable: number,
    vtSize: number,
    depth: number,
    where: string,
  ): void {
    switch (field.type) {
      case BaseType.String:
        this.string(this.follow(at, where), field.maxLen, where);
        return;
      case BaseType.Vector:
        this.vector(this.follow(at, where), field, depth, where);
        return;
      case BaseType.Obj: {
        const target = this.schema.objects[field.index];
        if (target === undefined) this.fail('INTERNAL', where, 'unknown object');
        if (target.isStruct) this.struct(at, target, where);
        else this.table(this.follow(at, where), field.index, depth + 1, `${where}`);
        return;
      }
      case BaseType.Union: {
        const tag = this.unionTag(obj, field, tablePos, vtable, vtSize);
        const member = this.schema.enums[field.index]?.values.find((v) => v.value === tag);
        if (member === undefined || member.object < 0) this.fail('UNKNOWN_UNION', where, `union tag ${tag}`);
        this.table(this.follow(at, where), member.object, depth + 1, `${where}<${member.name}>`);
        return;
      }
      case BaseType.UType: {
        const tag = this.view.getUint8(at);
        const known = this.schema.enums[field.index]?.values.some((v) => v.value === tag) ?? false;
        if (!known) this.fail('UNKNOWN_UNION', where, `union tag ${tag}`);
        // A tag without its value (or NONE with a value) is caught on the value field and below.
        const valueField = obj.fields.find((f) => f.type === BaseType.Union && f.offset === field.offset + 2);
        if (valueField !== undefined && tag !== 0) {
          const voff = valueField.offset < vtSize ? this.view.getUint16(vtable + valueField.offset, true) : 0;
          if (voff === 0) this.fail('MISSING_FIELD', where, `union tag ${tag} without a value`);
        }
        return;
      }
      default:
        this.scalar(field.type, at, field, where);
    }
  }

  private unionTag(obj: ObjectLayout, field: FieldLayout, tablePos: number, vtable: number, vtSize: number): number {
    const typeField = obj.fields.find((f) => f.type === BaseType.UType && f.offset === field.offset - 2);
    if (typeField === undefined || typeField.offset >= vtSize) return 0;
    const voff = this.view.getUint16(vtable + typeField.offset, true);
    return voff === 0 ? 0 : this.view.getUint8(tablePos + voff);
  }

  private string(pos: number, maxLen: number | null, where: string): void {
    this.spend(1, where);
    const n = this.view.getUint32(pos, true);
    this.inBounds(pos + 4, n + 1, where);
    if (maxLen !== null && n > maxLen) this.fail('TOO_LONG', where, `string of ${n} bytes > ${maxLen}`);
    if (this.bytes[pos + 4 + n] !== 0) this.fail('OUT_OF_BOUNDS', where, 'string not zero-terminated');
    try {
      utf8.decode(this.bytes.subarray(pos + 4, pos + 4 + n));
    } catch {
      this.fail('BAD_UTF8', where, 'string is not valid UTF-8');
    }
  }

  private vector(pos: number, field: FieldLayout, depth: number, where: string): void {
    const n = this.view.getUint32(pos, true);
    if (field.maxLen !== null && n > field.maxLen) this.fail('TOO_LONG', where, `vector of ${n} > ${field.maxLen}`);
    const el = field.element;
    const struct = el === BaseType.Obj ? this.schema.objects[field.index] : undefined;
    const scalar = scalarSize(el);
    const elemSize = struct?.isStruct === true ? struct.byteSize : scalar === 0 ? 4 : scalar;
    const start = pos + 4;
    this.inBounds(start, n * elemSize, where);
    this.spend(n, where);
    if (scalar > 1 && start % scalar !== 0) this.fail('MISALIGNED', where, `vector of ${scalar}-byte elements at ${start}`);
    for (let i = 0; i < n; i++) {
      const at = start + i * elemSize;
      if (el === BaseType.String) this.string(this.follow(at, where), MAX_STRING_IN_VECTOR, `${where}[${i}]`);
      else if (el === BaseType.Obj && struct !== undefined) {
        if (struct.isStruct) this.struct(at, struct, `${where}[${i}]`);
        else this.table(this.follow(at, where), field.index, depth + 1, `${where}[${i}]`);
      } else if (el === BaseType.Union || el === BaseType.UType || el === BaseType.Vector) {
        this.fail('INTERNAL', where, 'vectors of unions are not used by this protocol');
      } else this.scalar(el, at, field, `${where}[${i}]`);
    }
  }

  private struct(at: number, struct: ObjectLayout, where: string): void {
    this.inBounds(at, struct.byteSize, where);
    for (const f of struct.fields) {
      if (f.type === BaseType.Obj) {
        const inner = this.schema.objects[f.index];
        if (inner === undefined) this.fail('INTERNAL', where, 'unknown struct');
        this.struct(at + f.offset, inner, `${where}.${f.name}`);
      } else this.scalar(f.type, at + f.offset, f, `${where}.${f.name}`);
    }
  }

  private scalar(type: BaseType, at: number, field: FieldLayout, where: string): void {
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
        if (high > MAX_SAFE_HIGH) this.fail('OUT_OF_RANGE', where, 'uint64 beyond Number.MAX_SAFE_INTEGER');
        value = high * 2 ** 32 + this.view.getUint32(at, true);
        break;
      }
      case BaseType.Long: {
        const high = this.view.getInt32(at + 4, true);
        if (high > MAX_SAFE_HIGH || high < -MAX_SAFE_HIGH - 1) this.fail('OUT_OF_RANGE', where, 'int64 beyond the safe range');
        value = high * 2 ** 32 + this.view.getUint32(at, true);
        break;
      }
      case BaseType.Float:
        value = this.view.getFloat32(at, true);
        if (!Number.isFinite(value)) this.fail('NOT_FINITE', where, String(value));
        break;
      case BaseType.Double:
        value = this.view.getFloat64(at, true);
        if (!Number.isFinite(value)) this.fail('NOT_FINITE', where, String(value));
        break;
      default:
        this.fail('INTERNAL', where, `unexpected base type ${type}`);
    }
    if (field.min !== null && value < field.min) this.fail('OUT_OF_RANGE', where, `${value} < ${field.min}`);
    if (field.max !== null && value > field.max) this.fail('OUT_OF_RANGE', where, `${value} > ${field.max}`);
    if (field.index >= 0) {
      const e = this.schema.enums[field.index];
      if (e !== undefined && !e.isUnion && !e.values.some((v) => v.value === value)) {
        this.fail('UNKNOWN_ENUM', where, `${value} is not a ${e.name}`);
      }
    }
  }
}

/** Throws VerifyError (only) when `bytes` is not a safe buffer of the schema's root table. */
export function verifyBuffer(bytes: Uint8Array, schema: SchemaLayout, limits: VerifyLimits = DEFAULT_LIMITS): void {
  new Walker(bytes, schema, limits).root();
}
