// The physics actor's protocol. Besides these it takes every TopologyChange (src/graph/topology.ts)
// as a message: subscribe it to a graph's topology publisher and the changes flow in.
//
//   set-params          live parameter change (any subset), eased in over params.easeTicks ticks
//   pin / unpin         hold a node still (optionally at a position, optionally for timeoutMs)
//   drag                a client drags a node: pinned at the position, released pinTimeoutMs after
//                       the last drag
//   set-position-constraint / set-distance-constraint / remove-distance-constraint
//   subscribe-frames    a subscriber gets a PhysicsFrame at its own rate (default 60 Hz) whenever the
//                       layout moved since its last frame (and one at once on subscribing)
//   unsubscribe-frames
//   wake                leave sleep now (any change wakes the layout too)
//   stats               a PhysicsStats reply
import type { TopologyChange, Vec3 } from '../graph/topology.ts';
import type { SimBuffers, StepGlobals, StepStats } from '../physics/buffers.ts';
import type { EngineKind, EngineVersions } from '../physics/engine.ts';
import type { Fallback } from '../physics/engine-selector.ts';
import type { DistanceConstraint, PositionConstraint } from '../physics/layout.ts';
import type { ParamsPatch, PhysicsParams } from '../physics/params.ts';
import type { Ref } from '../runtime/ref.ts';

/** Positions (and velocities if asked) of every node, in the order of `ids`. */
export interface PhysicsFrame {
  readonly type: 'frame';
  /** Changes whenever the node set or its order changes (the position stream's id-table epoch). */
  readonly epoch: number;
  readonly tick: number;
  readonly ids: Uint32Array;
  /** x, y, z per node; shared between subscribers: read, never write. */
  readonly positions: Float32Array;
  readonly velocities?: Float32Array;
}

export type SetParamsReply = { readonly ok: true; readonly params: PhysicsParams } | { readonly ok: false; readonly error: string };

export interface PhysicsStats {
  readonly engine: EngineKind | 'none';
  readonly engineDescription: string;
  readonly fallbacks: readonly Fallback[];
  readonly nodes: number;
  readonly edges: number;
  readonly springs: number;
  readonly epoch: number;
  readonly ticks: number;
  readonly alpha: number;
  readonly sleeping: boolean;
  readonly maxSpeed: number;
  readonly lastStepMs: number;
  /** Mean over the last 60 steps. */
  readonly meanStepMs: number;
  readonly pinned: readonly number[];
  readonly subscribers: number;
  readonly params: PhysicsParams;
  readonly targetParams: PhysicsParams;
}

export type PhysicsCommand =
  | { readonly type: 'set-params'; readonly patch: ParamsPatch; readonly replyTo?: Ref<SetParamsReply> }
  | { readonly type: 'pin'; readonly id: number; readonly position?: Vec3; readonly timeoutMs?: number }
  | { readonly type: 'unpin'; readonly id: number }
  | { readonly type: 'drag'; readonly id: number; readonly position: Vec3 }
  | { readonly type: 'set-position-constraint'; readonly id: number; readonly constraint?: PositionConstraint }
  | { readonly type: 'set-distance-constraint'; readonly constraint: DistanceConstraint }
  | { readonly type: 'remove-distance-constraint'; readonly id: string }
  | { readonly type: 'subscribe-frames'; readonly subscriber: Ref<PhysicsFrame>; readonly hz?: number; readonly velocities?: boolean }
  | { readonly type: 'unsubscribe-frames'; readonly subscriber: Ref<PhysicsFrame> }
  | { readonly type: 'wake' }
  | { readonly type: 'stats'; readonly replyTo: Ref<PhysicsStats> };

/** Messages the actor sends itself or gets from its engine child. */
export type PhysicsInternal =
  | { readonly type: 'tick' }
  | { readonly type: 'frames'; readonly hz: number }
  | { readonly type: 'release'; readonly id: number; readonly token: number }
  | { readonly type: 'subscriber-gone'; readonly path: string }
  | { readonly type: 'engine-ready'; readonly engine: EngineKind; readonly description: string }
  | { readonly type: 'step-done'; readonly seq: number; readonly stats: StepStats };

export type PhysicsMsg = TopologyChange | PhysicsCommand | PhysicsInternal;

/** What the physics actor asks its engine child. */
export interface EngineStep {
  readonly type: 'step';
  readonly seq: number;
  readonly buffers: SimBuffers;
  readonly globals: StepGlobals;
  readonly versions: EngineVersions;
}
