// The shape of the schema description that codegen derives from flatc's binary schema (.bfbs) and
// the verifier walks. Base type numbers are those of FlatBuffers' reflection.fbs.

export const BaseType = {
  None: 0,
  UType: 1,
  Bool: 2,
  Byte: 3,
  UByte: 4,
  Short: 5,
  UShort: 6,
  Int: 7,
  UInt: 8,
  Long: 9,
  ULong: 10,
  Float: 11,
  Double: 12,
  String: 13,
  Vector: 14,
  Obj: 15,
  Union: 16,
  Array: 17,
} as const;
export type BaseType = (typeof BaseType)[keyof typeof BaseType];

export interface FieldLayout {
  readonly name: string;
  /** Table: vtable offset of the field (4 + 2 * id). Struct: byte offset inside the struct. */
  readonly offset: number;
  readonly type: BaseType;
  /** Element type of a vector. */
  readonly element: BaseType;
  /** Object index for Obj (or a vector of Obj); enum index for enums, unions and union types. */
  readonly index: number;
  readonly required: boolean;
  /** From the schema's `vf_max_len`, `vf_min` and `vf_max` attributes; null when absent. */
  readonly maxLen: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export interface ObjectLayout {
  readonly name: string;
  readonly isStruct: boolean;
  readonly byteSize: number;
  readonly fields: readonly FieldLayout[];
}

export interface EnumValueLayout {
  readonly name: string;
  readonly value: number;
  /** Union member table's object index; -1 for NONE and plain enums. */
  readonly object: number;
}

export interface EnumLayout {
  readonly name: string;
  readonly isUnion: boolean;
  readonly values: readonly EnumValueLayout[];
}

export interface SchemaLayout {
  readonly root: number;
  readonly fileIdent: string;
  readonly objects: readonly ObjectLayout[];
  readonly enums: readonly EnumLayout[];
}

/** Byte size of a scalar base type; 0 for non-scalars. */
export function scalarSize(t: BaseType): number {
  switch (t) {
    case BaseType.UType:
    case BaseType.Bool:
    case BaseType.Byte:
    case BaseType.UByte:
      return 1;
    case BaseType.Short:
    case BaseType.UShort:
      return 2;
    case BaseType.Int:
    case BaseType.UInt:
    case BaseType.Float:
      return 4;
    case BaseType.Long:
    case BaseType.ULong:
    case BaseType.Double:
      return 8;
    default:
      return 0;
  }
}
