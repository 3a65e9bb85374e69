// Every change to the graph is one of these events, stamped with the HLC of the write. Events are
// what the journal stores (one row each, FlatBuffers payload) and what replay applies.
import type { Hlc } from '../crdt/hlc.ts';
import type { EdgeValue, NodeValue } from './model.ts';
import type { Vec3 } from './topology.ts';

export type GraphEvent =
  | { readonly type: 'node-added'; readonly stamp: Hlc; readonly node: NodeValue }
  /** Carries the node's whole new value, so replay never depends on what came before. */
  | { readonly type: 'node-updated'; readonly stamp: Hlc; readonly node: NodeValue }
  | { readonly type: 'node-moved'; readonly stamp: Hlc; readonly id: number; readonly position: Vec3 }
  | { readonly type: 'node-removed'; readonly stamp: Hlc; readonly id: number }
  | { readonly type: 'edge-created'; readonly stamp: Hlc; readonly edge: EdgeValue }
  | { readonly type: 'edge-deleted'; readonly stamp: Hlc; readonly id: bigint }
  | { readonly type: 'edge-weight-changed'; readonly stamp: Hlc; readonly id: bigint; readonly weight: number };

export type GraphEventType = GraphEvent['type'];

/** The journal's `kind` column: stable numbers, never reused. */
export const EVENT_KIND: Readonly<Record<GraphEventType, number>> = {
  'node-added': 1,
  'node-updated': 2,
  'node-moved': 3,
  'node-removed': 4,
  'edge-created': 5,
  'edge-deleted': 6,
  'edge-weight-changed': 7,
};

export const EVENT_TYPE_OF_KIND: ReadonlyMap<number, GraphEventType> = new Map(
  Object.entries(EVENT_KIND).map(([type, kind]) => [kind, type as GraphEventType]),
);

/** The node or edge id an event is about (edge ids as bigint). */
export function eventEntity(e: GraphEvent): number | bigint {
  switch (e.type) {
    case 'node-added':
    case 'node-updated':
      return e.node.id;
    case 'node-moved':
    case 'node-removed':
      return e.id;
    case 'edge-created':
      return e.edge.id;
    case 'edge-deleted':
    case 'edge-weight-changed':
      return e.id;
  }
}

export function isNodeEvent(e: GraphEvent): boolean {
  return e.type.startsWith('node-');
}
