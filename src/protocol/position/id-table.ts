// The id table of a position stream, sent as an Envelope payload: frame index i stands for ids[i].
import type { NodeKind } from '../generated/vf/node-kind.ts';
import { PositionIdTableT } from '../generated/vf/position-id-table.ts';
import { KeyframeRequestT } from '../generated/vf/keyframe-request.ts';

export function idTablePayload(epoch: number, ids: Uint32Array, kinds?: Uint8Array): PositionIdTableT {
  return new PositionIdTableT(epoch, Array.from(ids), kinds === undefined ? [] : (Array.from(kinds) as NodeKind[]));
}

export function keyframeRequestPayload(lastSeq: number, epoch: number): KeyframeRequestT {
  return new KeyframeRequestT(lastSeq >>> 0, epoch >>> 0);
}
