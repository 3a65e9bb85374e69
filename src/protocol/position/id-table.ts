// The id table of a position stream, sent as an Envelope payload: frame index i stands for ids[i].
import type * as flatbuffers from 'flatbuffers';
import type { NodeKind } from '../generated/vf/node-kind.ts';
import { PositionIdTable, PositionIdTableT } from '../generated/vf/position-id-table.ts';
import { KeyframeRequestT } from '../generated/vf/keyframe-request.ts';

/** What an id table may carry beside ids and kinds (PositionIdTable's types and folds). */
export interface IdTableFacets {
  /** Type code per id, indexing `typeNames`. */
  readonly types?: Uint16Array;
  readonly typeNames?: readonly string[];
  readonly folded?: Uint32Array;
  readonly foldedInto?: Uint32Array;
}

/**
 * Packs the table with the type and fold vectors left out when empty, so that a graph without types
 * or folds gets the same bytes as before they existed (docs/protocol.md shows them). Set on the
 * instance: the envelope encoder knows a payload by its class.
 */
function packCompact(this: PositionIdTableT, builder: flatbuffers.Builder): flatbuffers.Offset {
  const ids = PositionIdTable.createIdsVector(builder, this.ids);
  const kinds = PositionIdTable.createKindsVector(builder, this.kinds);
  const types = this.types.length === 0 ? 0 : PositionIdTable.createTypesVector(builder, this.types);
  const names =
    this.typeNames.length === 0 ? 0 : PositionIdTable.createTypeNamesVector(builder, builder.createObjectOffsetList(this.typeNames));
  const folded = this.folded.length === 0 ? 0 : PositionIdTable.createFoldedVector(builder, this.folded);
  const into = this.foldedInto.length === 0 ? 0 : PositionIdTable.createFoldedIntoVector(builder, this.foldedInto);
  return PositionIdTable.createPositionIdTable(builder, this.epoch, ids, kinds, types, names, folded, into);
}

export function idTablePayload(epoch: number, ids: Uint32Array, kinds?: Uint8Array, facets: IdTableFacets = {}): PositionIdTableT {
  const table = new PositionIdTableT(
    epoch,
    Array.from(ids),
    kinds === undefined ? [] : (Array.from(kinds) as NodeKind[]),
    facets.types === undefined ? [] : Array.from(facets.types),
    facets.typeNames === undefined ? [] : [...facets.typeNames],
    facets.folded === undefined ? [] : Array.from(facets.folded),
    facets.foldedInto === undefined ? [] : Array.from(facets.foldedInto),
  );
  table.pack = packCompact;
  return table;
}

export function keyframeRequestPayload(lastSeq: number, epoch: number): KeyframeRequestT {
  return new KeyframeRequestT(lastSeq >>> 0, epoch >>> 0);
}
