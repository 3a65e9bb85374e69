// Between the physics actor and the gateway: takes the layout's frames once (at the fastest rate any
// subscriber wants), adds each node's kind (from the graph topology, for per-client filters) and
// hands every subscriber the latest snapshot as a PositionTick. A new subscriber gets the latest
// snapshot at once, so clients see the layout even while the physics sleeps. Snapshots are copies:
// immutable once published, whatever the physics does with its own buffers next.
import type { PhysicsFrame, PhysicsMsg } from './physics-messages.ts';
import type { PositionTick, FrameSource } from '../gateway/ports.ts';
import { NODE_KINDS, type TopologyChange, type TopologySubscription } from '../graph/topology.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';

export type FrameRelayMsg =
  | PhysicsFrame
  | TopologyChange
  | { readonly type: 'relay-subscribe'; readonly subscriber: Ref<PositionTick>; readonly hz: number }
  | { readonly type: 'relay-unsubscribe'; readonly subscriber: Ref<PositionTick> };

export interface FrameRelayOptions {
  readonly physics: Ref<PhysicsMsg>;
  readonly topology: Ref<TopologySubscription>;
  /** Most subscribers (the gateway is one; tests may add more). */
  readonly maxSubscribers?: number;
}

const KIND_CODE = new Map(NODE_KINDS.map((k, i) => [k, i] as const));

export function frameRelay(options: FrameRelayOptions): ActorFactory<FrameRelayMsg> {
  return (ctx) => {
    const subscribers = new Map<string, { ref: Ref<PositionTick>; hz: number }>();
    const kindOf = new Map<number, number>();
    let latest: PositionTick | undefined;
    let subscribedHz = 0;

    const resubscribe = (): void => {
      const hz = Math.max(0, ...[...subscribers.values()].map((s) => s.hz));
      if (hz === subscribedHz) return;
      subscribedHz = hz;
      if (hz === 0) options.physics.tell({ type: 'unsubscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame> });
      else options.physics.tell({ type: 'subscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame>, hz });
    };

    const onTopology = (change: TopologyChange): void => {
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
              snapshot: { epoch: msg.epoch, ids: msg.ids.slice(), kinds, positions: msg.positions.slice(), time: performance.now() },
            };
            for (const s of subscribers.values()) s.ref.tell(latest);
            return;
          }
          case 'relay-subscribe':
            if (subscribers.size >= (options.maxSubscribers ?? 64) && !subscribers.has(msg.subscriber.path)) return;
            subscribers.set(msg.subscriber.path, { ref: msg.subscriber, hz: Math.min(240, Math.max(1, msg.hz)) });
            if (latest !== undefined) msg.subscriber.tell(latest);
            resubscribe();
            return;
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
