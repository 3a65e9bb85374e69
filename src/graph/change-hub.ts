// The graph's committed changes as clients see them (the gateway's GraphChanged): one event per
// committed unit, in commit order, carrying the unit's graph version (in the event and in the wire
// ops, so that it reaches the client) and HLC, what it changed as wire ops (node titles and content
// included, which the topology stream leaves out), the session that asked for it, and the nodes
// each op touched, so that the gateway can apply each client's filter to the stream. Every
// subscriber gets every change, the asking session included: a client rebuilds the graph from its
// stream alone and its own answer comes after its change, at the change's place in commit order.
// Like the TopologyHub, the hub outlives router restarts: subscriptions survive them. It is bounded;
// the router death-watches each subscriber and drops it when it stops.
import { compareHlc, type Hlc } from '../crdt/hlc.ts';
import type { ChangeScope, GraphChanged, GraphMutation } from './changes.ts';
import { GraphBatchT } from '../protocol/generated/vf/graph-batch.ts';
import type { GraphUpdateT } from '../protocol/generated/vf/graph-update.ts';
import { UpdateNodeT } from '../protocol/generated/vf/update-node.ts';
import type { Recipient } from '../shared/recipient.ts';
import { updateOfEvent } from './event-codec.ts';
import type { GraphEvent } from './events.ts';

/** A unit with more ops than this is published as several events with the same version. */
export const MAX_OPS_PER_CHANGE = 1000;
export const DEFAULT_MAX_CHANGE_SUBSCRIBERS = 10_000;

export class ChangeHub {
  /** By path: a ref handed in twice (or re-created for the same actor) is one subscriber. */
  private readonly subscribers = new Map<string, Recipient<GraphChanged>>();
  /** Subscriptions refused because the hub was full. */
  refused = 0;

  constructor(readonly maxSubscribers = DEFAULT_MAX_CHANGE_SUBSCRIBERS) {}

  /** False when the hub is full (the subscriber gets nothing). */
  subscribe(ref: Recipient<GraphChanged>): boolean {
    if (this.subscribers.has(ref.path)) return true;
    if (this.subscribers.size >= this.maxSubscribers) {
      this.refused++;
      return false;
    }
    this.subscribers.set(ref.path, ref);
    return true;
  }

  unsubscribe(ref: Recipient<GraphChanged>): boolean {
    return this.subscribers.delete(ref.path);
  }

  /** Drops `ref` only if it is the very ref subscribed under its path (for death watch). */
  drop(ref: Recipient<GraphChanged>): boolean {
    if (this.subscribers.get(ref.path) !== ref) return false;
    return this.subscribers.delete(ref.path);
  }

  has(ref: Recipient<GraphChanged>): boolean {
    return this.subscribers.has(ref.path);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  refs(): IterableIterator<Recipient<GraphChanged>> {
    return this.subscribers.values();
  }

  /**
   * One committed unit's events, in order, at graph version `version`, with what each touched
   * (TopologyHub.publish gives them, aligned with `events`).
   */
  publish(version: number, events: readonly GraphEvent[], scopes: readonly ChangeScope[], origin: string | undefined): void {
    if (events.length === 0 || this.subscribers.size === 0) return;
    if (scopes.length !== events.length) throw new Error(`change hub: ${events.length} events but ${scopes.length} scopes`);
    const stamp = commitStamp(events);
    const wireVersion = BigInt(version);
    for (let i = 0; i < events.length; i += MAX_OPS_PER_CHANGE) {
      const end = Math.min(events.length, i + MAX_OPS_PER_CHANGE);
      const updates: GraphUpdateT[] = [];
      for (let k = i; k < end; k++) {
        const update = clientUpdate(events[k]!, scopes[k]!);
        update.version = wireVersion;
        updates.push(update);
      }
      const change: GraphMutation =
        updates.length === 1 ? { kind: 'update', update: updates[0]! } : { kind: 'batch', batch: new GraphBatchT(updates, wireVersion) };
      const part = scopes.slice(i, end);
      const msg: GraphChanged =
        origin === undefined
          ? { type: 'graph-changed', version, change, scopes: part, stamp }
          : { type: 'graph-changed', version, change, scopes: part, origin, stamp };
      for (const s of this.subscribers.values()) s.tell(msg);
    }
  }
}

/** A commit's HLC: the greatest stamp among its events (a unit has at least one). */
export function commitStamp(events: readonly GraphEvent[]): Hlc {
  let max = events[0]!.stamp;
  for (const e of events) if (compareHlc(e.stamp, max) > 0) max = e.stamp;
  return max;
}

/**
 * The wire op clients get for an event. A move names only the node and its position; it carries the
 * node's kind too, so that a client reading it as an UpdateNode does not take the default kind.
 */
function clientUpdate(event: GraphEvent, scope: ChangeScope): GraphUpdateT {
  const update = updateOfEvent(event);
  if (event.type === 'node-moved' && update.op instanceof UpdateNodeT && update.op.node !== null && scope.kinds[0]! >= 0) {
    update.op.node.kind = scope.kinds[0]!;
  }
  return update;
}
