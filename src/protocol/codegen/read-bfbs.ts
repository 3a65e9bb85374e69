// Reads flatc's binary schema (a FlatBuffer of reflection.fbs) into a SchemaLayout. Only the
// reflection fields this project needs are read, by their slot in reflection.fbs, which has kept
// these slots stable since it was published.
import { ByteBuffer } from 'flatbuffers';
import type { BaseType, EnumLayout, FieldLayout, ObjectLayout, SchemaLayout } from '../verify/schema-layout.ts';

class Table {
  constructor(
    private readonly bb: ByteBuffer,
    private readonly pos: number,
  ) {}

  private field(slot: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * slot);
  }
  int(slot: number, size: 1 | 2 | 4 | 8, signed: boolean, fallback: number): number {
    const o = this.field(slot);
    if (o === 0) return fallback;
    const at = this.pos + o;
    if (size === 1) return signed ? this.bb.readInt8(at) : this.bb.readUint8(at);
    if (size === 2) return signed ? this.bb.readInt16(at) : this.bb.readUint16(at);
    if (size === 4) return signed ? this.bb.readInt32(at) : this.bb.readUint32(at);
    return Number(this.bb.readInt64(at));
  }
  bool(slot: number): boolean {
    return this.int(slot, 1, false, 0) !== 0;
  }
  string(slot: number): string | null {
    const o = this.field(slot);
    return o === 0 ? null : (this.bb.__string(this.pos + o) as string);
  }
  table(slot: number): Table | null {
    const o = this.field(slot);
    return o === 0 ? null : new Table(this.bb, this.bb.__indirect(this.pos + o));
  }
  tables(slot: number): Table[] {
    const o = this.field(slot);
    if (o === 0) return [];
    const start = this.bb.__vector(this.pos + o);
    const n = this.bb.__vector_len(this.pos + o);
    const out: Table[] = [];
    for (let i = 0; i < n; i++) out.push(new Table(this.bb, this.bb.__indirect(start + 4 * i)));
    return out;
  }
}

// reflection.fbs slots.
const SCHEMA = { objects: 0, enums: 1, fileIdent: 2, rootTable: 4 };
const OBJECT = { name: 0, fields: 1, isStruct: 2, byteSize: 4, attributes: 5 };
const FIELD = { name: 0, type: 1, offset: 3, deprecated: 6, required: 7, attributes: 9 };
const TYPE = { baseType: 0, element: 1, index: 2 };
const ENUM = { name: 0, values: 1, isUnion: 2 };
const ENUM_VAL = { name: 0, value: 1, unionType: 3 };
const KEY_VALUE = { key: 0, value: 1 };

function attributes(t: Table, slot: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of t.tables(slot)) out.set(kv.string(KEY_VALUE.key) ?? '', kv.string(KEY_VALUE.value) ?? '');
  return out;
}

function numberAttr(attrs: Map<string, string>, key: string): number | null {
  const raw = attrs.get(key);
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`attribute ${key} is not a number: ${raw}`);
  return n;
}

function readField(f: Table): FieldLayout {
  const type = f.table(FIELD.type);
  if (type === null) throw new Error('field without type');
  const attrs = attributes(f, FIELD.attributes);
  return {
    name: f.string(FIELD.name) ?? '',
    offset: f.int(FIELD.offset, 2, false, 0),
    type: type.int(TYPE.baseType, 1, true, 0) as BaseType,
    element: type.int(TYPE.element, 1, true, 0) as BaseType,
    index: type.int(TYPE.index, 4, true, -1),
    required: f.bool(FIELD.required),
    maxLen: numberAttr(attrs, 'vf_max_len'),
    min: numberAttr(attrs, 'vf_min'),
    max: numberAttr(attrs, 'vf_max'),
  };
}

export function readBfbs(bytes: Uint8Array): SchemaLayout {
  const bb = new ByteBuffer(bytes);
  const schema = new Table(bb, bb.readInt32(0));
  const objectTables = schema.tables(SCHEMA.objects);
  const objects: ObjectLayout[] = objectTables.map((o) => ({
    name: o.string(OBJECT.name) ?? '',
    isStruct: o.bool(OBJECT.isStruct),
    byteSize: o.int(OBJECT.byteSize, 4, true, 0),
    fields: o
      .tables(OBJECT.fields)
      .filter((f) => !f.bool(FIELD.deprecated))
      .map(readField)
      .sort((a, b) => a.offset - b.offset),
  }));
  const enums: EnumLayout[] = schema.tables(SCHEMA.enums).map((e) => ({
    name: e.string(ENUM.name) ?? '',
    isUnion: e.bool(ENUM.isUnion),
    values: e.tables(ENUM.values).map((v) => ({
      name: v.string(ENUM_VAL.name) ?? '',
      value: v.int(ENUM_VAL.value, 8, true, 0),
      object: v.table(ENUM_VAL.unionType)?.int(TYPE.index, 4, true, -1) ?? -1,
    })),
  }));
  const rootName = schema.table(SCHEMA.rootTable)?.string(OBJECT.name);
  const root = objects.findIndex((o) => o.name === rootName);
  if (root < 0) throw new Error('binary schema has no root table');
  return { root, fileIdent: schema.string(SCHEMA.fileIdent) ?? '', objects, enums };
}
