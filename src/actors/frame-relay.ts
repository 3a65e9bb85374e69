// Between the physics actor and the gateway: takes the layout's frames once (at the fastest rate any
// subscriber wants), adds each node's kind and its facets (type, degree, fold: node-facets.ts), both
// from the graph topology, for per-client filters, and hands every subscriber the latest snapshot as
// a PositionTick. A new subscriber gets the latest snapshot at once, so clients see the layout even
// while the physics sleeps. Snapshots are copies: immutable once published, whatever the physics
// does with its own buffers next.
import type { PhysicsFrame, PhysicsMsg } from './physics-messages.ts';
import type { PositionTick, FrameSource } from '../gateway/ports.ts';
import { NODE_KINDS, type TopologyChange, type TopologySubscription } from '../graph/topology.ts';
import { FacetTracker } from '../gateway/node-facets.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';

export type FrameRelayMsg =
  | PhysicsFrame
  | TopologyChange
  | { readonly type: 'relay-subscribe'; readonly subscriber: Ref<PositionTick>; readonly hz: number }
  | { readonly type: 'relay-unsubscribe'; readonly subscriber: Ref<PositionTick> }
  /** Its own: the facets have changed while no frame came; the latest snapshot goes out again with them. */
  | { readonly type: 'facets-due' };

export interface FrameRelayOptions {
  readonly physics: Ref<PhysicsMsg>;
  readonly topology: Ref<TopologySubscription>;
  /** Most subscribers (the gateway is one; tests may add more). */
  readonly maxSubscribers?: number;
}

/** How long after a topology change the facets are brought out even when the layout sends no frame. */
const FACETS_SETTLE_MS = 300;

const KIND_CODE = new Map(NODE_KINDS.map((k, i) => [k, i] as const));

/** Its name under /app/compute (the application tree, src/supervisors/app-tree.ts). */
export const FRAMES_NAME = 'frames';

export function frameRelay(options: FrameRelayOptions): ActorFactory<FrameRelayMsg> {
  return (ctx) => {
    const subscribers = new Map<string, { ref: Ref<PositionTick>; hz: number }>();
    const kindOf = new Map<number, number>();
    const facets = new FacetTracker();
    let latest: PositionTick | undefined;
    let subscribedHz = 0;

    const resubscribe = (): void => {
      const hz = Math.max(0, ...[...subscribers.values()].map((s) => s.hz));
      if (hz === subscribedHz) return;
      subscribedHz = hz;
      if (hz === 0) options.physics.tell({ type: 'unsubscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame> });
      else options.physics.tell({ type: 'subscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame>, hz });
    };

    let facetsTimer = false;
    let resetAsked = false;
    /** A filter has started to read degrees or folds: a fresh snapshot brings the edges they need. */
    const askResetWhenWanted = (): void => {
      if (!facets.wantsReset || resetAsked) return;
      resetAsked = true;
      options.topology.tell({ type: 'unsubscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
      options.topology.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
    };
    const onTopology = (change: TopologyChange): void => {
      facets.apply(change);
      if (change.type === 'reset') resetAsked = false;
      if (facets.stale && !facetsTimer) {
        facetsTimer = true;
        ctx.scheduleOnce(FACETS_SETTLE_MS, { type: 'facets-due' });
      }
      switch (change.type) {
        case 'reset':
          kindOf.clear();
          for (const n of change.nodes) kindOf.set(n.id, KIND_CODE.get(n.kind) ?? 0);
          return;
        case 'nodes-added':
          for (const n of change.nodes) kindOf.set(n.id, KIND_CODE.get(n.kind) ?? 0);
          return;
        case 'nodes-removed':
          for (const id of change.ids) kindOf.delete(id);
          return;
        default:
          return;
      }
    };

    return {
      preStart() {
        options.topology.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
      },
      postStop() {
        options.topology.tell({ type: 'unsubscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
        if (subscribedHz > 0) options.physics.tell({ type: 'unsubscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame> });
      },
      receive(msg) {
        switch (msg.type) {
          case 'frame': {
            const kinds = new Uint8Array(msg.ids.length);
            for (let i = 0; i < msg.ids.length; i++) kinds[i] = kindOf.get(msg.ids[i]!) ?? 0;
            latest = {
              type: 'positions',
              snapshot: { epoch: msg.epoch, ids: msg.ids.slice(), kinds, positions: msg.positions.slice(), time: performance.now(), facets: facets.facets(performance.now()) },
            };
            for (const s of subscribers.values()) s.ref.tell(latest);
            askResetWhenWanted();
            return;
          }
          case 'relay-subscribe':
            if (subscribers.size >= (options.maxSubscribers ?? 64) && !subscribers.has(msg.subscriber.path)) return;
            subscribers.set(msg.subscriber.path, { ref: msg.subscriber, hz: Math.min(240, Math.max(1, msg.hz)) });
            if (latest !== undefined) msg.subscriber.tell(latest);
            resubscribe();
            return;
          case 'facets-due': {
            facetsTimer = false;
            if (latest === undefined || !facets.stale) return;
            const now = performance.now();
            const before = latest.snapshot.facets?.version;
            const fresh = facets.facets(now);
            if (fresh.version === before) {
              facetsTimer = true;
              ctx.scheduleOnce(FACETS_SETTLE_MS, { type: 'facets-due' });
              return;
            }
            latest = { type: 'positions', snapshot: { ...latest.snapshot, facets: fresh, time: now } };
            for (const s of subscribers.values()) s.ref.tell(latest);
            askResetWhenWanted();
            return;
          }
          case 'relay-unsubscribe':
            subscribers.delete(msg.subscriber.path);
            resubscribe();
            return;
          default:
            onTopology(msg);
        }
      },
    };
  };
}

/** The gateway's FrameSource over a relay actor. */
export function relayFrameSource(relay: Ref<FrameRelayMsg>): FrameSource {
  return {
    subscribe: (subscriber, maxRateHz) => relay.tell({ type: 'relay-subscribe', subscriber, hz: maxRateHz }),
    unsubscribe: (subscriber) => relay.tell({ type: 'relay-unsubscribe', subscriber }),
  };
}
