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
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
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

/** What one incarnation of the relay holds. */
interface Relay {
  readonly ctx: ActorContext<FrameRelayMsg>;
  readonly options: FrameRelayOptions;
  readonly subscribers: Map<string, { ref: Ref<PositionTick>; hz: number }>;
  /** Each node's kind code, from the topology. */
  readonly kindOf: Map<number, number>;
  readonly facets: FacetTracker;
  latest: PositionTick | undefined;
  /** The frame rate asked of the physics (0: not subscribed). */
  subscribedHz: number;
  facetsTimer: boolean;
  resetAsked: boolean;
}

export function frameRelay(options: FrameRelayOptions): ActorFactory<FrameRelayMsg> {
  return (ctx) => {
    const s: Relay = {
      ctx,
      options,
      subscribers: new Map(),
      kindOf: new Map(),
      facets: new FacetTracker(),
      latest: undefined,
      subscribedHz: 0,
      facetsTimer: false,
      resetAsked: false,
    };
    return {
      preStart() {
        options.topology.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
      },
      postStop() {
        options.topology.tell({ type: 'unsubscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
        if (s.subscribedHz > 0) options.physics.tell({ type: 'unsubscribe-frames', subscriber: ctx.self as Ref<PhysicsFrame> });
      },
      receive: (msg) => receive(s, msg),
    };
  };
}

function receive(s: Relay, msg: FrameRelayMsg): void {
  switch (msg.type) {
    case 'frame':
      return onFrame(s, msg);
    case 'relay-subscribe':
      return subscribe(s, msg.subscriber, msg.hz);
    case 'relay-unsubscribe':
      s.subscribers.delete(msg.subscriber.path);
      return resubscribe(s);
    case 'facets-due':
      return facetsDue(s);
    case 'reset':
    case 'nodes-added':
    case 'nodes-removed':
    case 'nodes-moved':
    case 'edges-added':
    case 'edges-removed':
    case 'edge-weights-changed':
      return onTopology(s, msg);
    default:
      return unreachable(msg);
  }
}

function onFrame(s: Relay, frame: PhysicsFrame): void {
  const kinds = new Uint8Array(frame.ids.length);
  for (let i = 0; i < frame.ids.length; i++) kinds[i] = s.kindOf.get(frame.ids[i]!) ?? 0;
  s.latest = {
    type: 'positions',
    snapshot: {
      epoch: frame.epoch,
      ids: frame.ids.slice(),
      kinds,
      positions: frame.positions.slice(),
      time: performance.now(),
      facets: s.facets.facets(performance.now()),
    },
  };
  publish(s, s.latest);
}

function publish(s: Relay, tick: PositionTick): void {
  for (const sub of s.subscribers.values()) sub.ref.tell(tick);
  askResetWhenWanted(s);
}

function subscribe(s: Relay, subscriber: Ref<PositionTick>, hz: number): void {
  if (s.subscribers.size >= (s.options.maxSubscribers ?? 64) && !s.subscribers.has(subscriber.path)) return;
  s.subscribers.set(subscriber.path, { ref: subscriber, hz: Math.min(240, Math.max(1, hz)) });
  if (s.latest !== undefined) subscriber.tell(s.latest);
  resubscribe(s);
}

function facetsDue(s: Relay): void {
  s.facetsTimer = false;
  const latest = s.latest;
  if (latest === undefined || !s.facets.stale) return;
  const now = performance.now();
  const before = latest.snapshot.facets?.version;
  const fresh = s.facets.facets(now);
  if (fresh.version === before) {
    s.facetsTimer = true;
    s.ctx.scheduleOnce(FACETS_SETTLE_MS, { type: 'facets-due' });
    return;
  }
  s.latest = { type: 'positions', snapshot: { ...latest.snapshot, facets: fresh, time: now } };
  publish(s, s.latest);
}

function resubscribe(s: Relay): void {
  const hz = Math.max(0, ...[...s.subscribers.values()].map((sub) => sub.hz));
  if (hz === s.subscribedHz) return;
  s.subscribedHz = hz;
  const self = s.ctx.self as Ref<PhysicsFrame>;
  if (hz === 0) s.options.physics.tell({ type: 'unsubscribe-frames', subscriber: self });
  else s.options.physics.tell({ type: 'subscribe-frames', subscriber: self, hz });
}

/** A filter has started to read degrees or folds: a fresh snapshot brings the edges they need. */
function askResetWhenWanted(s: Relay): void {
  if (!s.facets.wantsReset || s.resetAsked) return;
  s.resetAsked = true;
  const self = s.ctx.self as Ref<TopologyChange>;
  s.options.topology.tell({ type: 'unsubscribe-topology', subscriber: self });
  s.options.topology.tell({ type: 'subscribe-topology', subscriber: self });
}

function onTopology(s: Relay, change: TopologyChange): void {
  s.facets.apply(change);
  if (change.type === 'reset') s.resetAsked = false;
  if (s.facets.stale && !s.facetsTimer) {
    s.facetsTimer = true;
    s.ctx.scheduleOnce(FACETS_SETTLE_MS, { type: 'facets-due' });
  }
  const kindOf = s.kindOf;
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
}

function unreachable(value: never): never {
  throw new Error(`frame relay: unhandled message ${String((value as { type?: unknown }).type)}`);
}

/** The gateway's FrameSource over a relay actor. */
export function relayFrameSource(relay: Ref<FrameRelayMsg>): FrameSource {
  return {
    subscribe: (subscriber, maxRateHz) => relay.tell({ type: 'relay-subscribe', subscriber, hz: maxRateHz }),
    unsubscribe: (subscriber) => relay.tell({ type: 'relay-unsubscribe', subscriber }),
  };
}
