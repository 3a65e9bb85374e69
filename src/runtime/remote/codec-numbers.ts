// 64-bit integer fields as Numbers for codecs, without BigInt: see src/protocol/remote/int64-fields.ts.
export { addFieldInt64, readFieldInt64, type TableView } from '../../protocol/remote/int64-fields.ts';
