// How the router's answer to a change (GraphAck) reads to a client (the gateway's
// GraphApplyResult): ok with the version the change is reflected at and its commit's HLC, or a
// refusal: 'invalid' | 'not-found' | 'conflict' (with what stands, as NodeT / EdgeT with the stamps
// of the writes that stand and the version they stand at) | 'unavailable' (storage, overload,
// restart). Pure: the router calls it where it answers, so the answer keeps its place in commit order.
import type { GraphAck, GraphErrorCode } from './ack.ts';
import type { Hlc } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { GraphApplyResult } from './changes.ts';
import type { EdgeT } from '../protocol/generated/vf/edge.ts';
import type { NodeT } from '../protocol/generated/vf/node.ts';
import { edgeT, nodeT } from './event-codec.ts';
import type { EdgeValue, NodeValue } from './model.ts';

type Failure = Extract<GraphApplyResult, { ok: false }>;

const CODES: Readonly<Record<GraphErrorCode, Failure['code']>> = {
  invalid: 'invalid',
  'clock-skew': 'invalid',
  'not-found': 'not-found',
  'endpoint-missing': 'not-found',
  'edge-id-conflict': 'conflict',
  overloaded: 'unavailable',
  'storage-failed': 'unavailable',
  'part-timeout': 'unavailable',
  'shard-restarted': 'unavailable',
  'shard-unavailable': 'unavailable',
  aborted: 'unavailable',
  closed: 'unavailable',
};

function isEdge(v: NodeValue | EdgeValue): v is EdgeValue {
  return typeof v.id === 'bigint';
}

/**
 * `standing`: for an edge-id conflict, the edge that holds the id (the router reads it from its
 * shard), with `version` the graph version it was read at.
 */
export function applyResult(
  ack: GraphAck,
  standing?: { readonly edge: LwwRegister<EdgeValue> | undefined; readonly version: number },
): GraphApplyResult {
  if (!ack.ok) {
    const failure: Failure = { ok: false, code: CODES[ack.error.code] ?? 'unavailable', message: ack.error.message };
    const edge = standing?.edge;
    if (ack.error.code !== 'edge-id-conflict' || edge?.value === undefined) return failure;
    return { ...failure, current: { edge: edgeT(edge.value), edgeStamp: edge.stamp }, version: standing!.version };
  }
  const lost: number[] = [];
  let node: NodeT | undefined;
  let edge: EdgeT | undefined;
  let nodeStamp: Hlc | undefined;
  let edgeStamp: Hlc | undefined;
  for (const [i, r] of ack.results.entries()) {
    if (r.status !== 'conflict') continue;
    lost.push(i);
    const v = r.winner.value;
    if (v === undefined) continue;
    if (isEdge(v)) {
      if (edge === undefined) [edge, edgeStamp] = [edgeT(v), r.winner.stamp];
    } else if (node === undefined) [node, nodeStamp] = [nodeT(v, r.winner.stamp), r.winner.stamp];
  }
  if (lost.length === 0)
    return ack.stamp === undefined ? { ok: true, version: ack.version } : { ok: true, version: ack.version, stamp: ack.stamp };
  const applied = ack.results.filter((r) => r.status === 'applied').length;
  const which = lost.length === 1 ? `op ${lost[0]}` : `ops ${lost.slice(0, 8).join(', ')}${lost.length > 8 ? ', ...' : ''}`;
  const message =
    `${which} lost to a newer write or a different existing value` +
    (applied > 0 ? `; ${applied} other op(s) applied at version ${ack.version}` : '');
  if (node === undefined && edge === undefined) return { ok: false, code: 'conflict', message };
  const current = {
    ...(node === undefined ? {} : { node, nodeStamp: nodeStamp! }),
    ...(edge === undefined ? {} : { edge, edgeStamp: edgeStamp! }),
  };
  return { ok: false, code: 'conflict', message, current, version: ack.version };
}
