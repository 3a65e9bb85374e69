// The graph's shape as the compute actors see it. Graph shards publish every applied change to
// their topology subscribers (the physics and SSSP actors) as one of these, in commit order; a new
// subscriber first gets a snapshot ('reset') and then the changes after it. Ids are the wire ids:
// node ids u32 (number), edge ids u64 (bigint).
import type { Recipient } from '../shared/recipient.ts';
import type { EdgeValue } from './model.ts';

export type NodeKind = 'knowledge' | 'agent' | 'task' | 'memory' | 'file' | 'concept' | 'user';

export const NODE_KINDS: readonly NodeKind[] = ['knowledge', 'agent', 'task', 'memory', 'file', 'concept', 'user'];

export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface TopologyNode {
  readonly id: number;
  readonly kind: NodeKind;
  /**
   * The node's free-form type ("page", "block", "journal", "tag" from the markdown importer), for
   * the per-client filters that select and fold by it; the layout and shortest paths ignore it.
   */
  readonly type?: string;
  /** Where the node should appear, if the change says (an import with coordinates, a drag). */
  readonly position?: Vec3;
}

export interface TopologyEdge {
  readonly id: bigint;
  readonly source: number;
  readonly target: number;
  /** Non-negative; spring stiffness scales with it and SSSP uses it as the length. */
  readonly weight: number;
  /**
   * True: shortest paths follow it from source to target only. Absent or false: both ways, as on
   * the wire. The layout ignores it: a spring pulls both ends whichever way the edge points.
   */
  readonly directed?: boolean;
}

/** A stored node as the compute actors see it: the shards' recovery slices and the hub's view alike. */
export function topologyNodeOf(n: {
  readonly id: number;
  readonly kind: NodeKind;
  readonly type?: string;
  readonly position?: Vec3;
}): TopologyNode {
  const node: { -readonly [K in keyof TopologyNode]: TopologyNode[K] } = { id: n.id, kind: n.kind };
  if (n.type !== undefined && n.type !== '') node.type = n.type;
  if (n.position !== undefined) node.position = n.position;
  return node;
}

/** A stored edge as the compute actors see it: the shards' recovery slices and the hub's view alike. */
export function topologyEdgeOf(id: bigint, e: EdgeValue): TopologyEdge {
  const edge = { id, source: e.source, target: e.target, weight: e.weight };
  return e.directed === true ? { ...edge, directed: true } : edge;
}

/**
 * `seq`, where the publisher numbers its changes (the TopologyHub does): one more per change sent;
 * a reset carries the number of the last change it includes. A subscriber that sees a number skip
 * has lost a change (a full mailbox, a dead letter given up on) and must ask for a fresh reset
 * (ChangeSequence); one at or below the last it applied is already in its copy.
 */
export type TopologyChange =
  | {
      readonly type: 'reset';
      readonly version: number;
      readonly seq?: number;
      readonly nodes: readonly TopologyNode[];
      readonly edges: readonly TopologyEdge[];
    }
  | { readonly type: 'nodes-added'; readonly version: number; readonly seq?: number; readonly nodes: readonly TopologyNode[] }
  | { readonly type: 'nodes-removed'; readonly version: number; readonly seq?: number; readonly ids: readonly number[] }
  | {
      readonly type: 'nodes-moved';
      readonly version: number;
      readonly seq?: number;
      readonly nodes: readonly { readonly id: number; readonly position: Vec3 }[];
    }
  | { readonly type: 'edges-added'; readonly version: number; readonly seq?: number; readonly edges: readonly TopologyEdge[] }
  /** Removing a node removes its edges: they are listed here too, before the node removal. */
  | { readonly type: 'edges-removed'; readonly version: number; readonly seq?: number; readonly ids: readonly bigint[] }
  | {
      readonly type: 'edge-weights-changed';
      readonly version: number;
      readonly seq?: number;
      readonly edges: readonly { readonly id: bigint; readonly weight: number }[];
    };

/**
 * Subscribing to a graph's topology: the publisher answers with a 'reset' snapshot, then streams
 * changes. `version` increases by one per committed change batch across the whole graph, so a
 * subscriber can tell which graph version a computation used.
 */
export type TopologySubscription =
  | { readonly type: 'subscribe-topology'; readonly subscriber: Recipient<TopologyChange> }
  | { readonly type: 'unsubscribe-topology'; readonly subscriber: Recipient<TopologyChange> };
