// How one node's subsystems are joined: the compute actors subscribe to the graph's topology, the
// physics takes its parameters from the settings, and the gateway reaches positions, the layout
// (node drags), the graph and shortest paths through its ports. Refs are by path, so each side may
// start (and restart) on its own; start order (graph, then compute, then gateway) means the targets
// are there when first used.
import { frameRelay, relayFrameSource, type FrameRelayMsg } from '../actors/frame-relay.ts';
import type { PhysicsMsg } from '../actors/physics-messages.ts';
import { physicsSettings } from '../actors/physics-settings.ts';
import { computeSubsystem, PHYSICS_PATH, type PhysicsSubsystemOptions } from '../actors/physics-subsystem.ts';
import { ssspPort, ssspPortActor, type SsspPortMsg } from '../actors/sssp-port.ts';
import { ssspChildren, type SsspMsg } from '../actors/sssp.ts';
import type { FrameSource, GraphPort, LayoutPort, SsspPort } from '../gateway/ports.ts';
import type { Ref } from '../runtime/ref.ts';
import { graphPort } from '../actors/graph-port.ts';
import type { GraphSubsystem } from '../graph/subsystem.ts';
import type { TopologySubscription } from '../graph/topology.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { SETTINGS_ACTOR_PATH, type SettingsMsg } from '../settings/protocol.ts';
import { childSpec, type AnyChildSpec } from './child-spec.ts';

export const COMPUTE_PATHS = {
  physics: PHYSICS_PATH,
  sssp: '/app/compute/sssp',
  frames: '/app/compute/frames',
  physicsSettings: '/app/compute/physics-settings',
  ssspPort: '/app/compute/sssp-port',
} as const;

export interface NodeWiring {
  /** The children of /app/compute. */
  readonly compute: AnyChildSpec[];
  /** What the gateway needs. */
  readonly ports: { readonly frames: FrameSource; readonly layout: LayoutPort; readonly graph: GraphPort; readonly sssp: SsspPort };
}

export function wireNode(system: ActorSystem, graph: GraphSubsystem, physics: Omit<PhysicsSubsystemOptions, 'topology'> = {}): NodeWiring {
  const topology = pathRef<TopologySubscription>(system, graph.routerPath);
  const physicsRef = pathRef<PhysicsMsg>(system, COMPUTE_PATHS.physics);
  const compute = [
    ...computeSubsystem({ physics: { ...physics, topology } }),
    ...ssspChildren({ topology }),
    childSpec(physicsSettings({ settings: pathRef<SettingsMsg>(system, SETTINGS_ACTOR_PATH), physics: physicsRef }), { name: 'physics-settings' }),
    childSpec(frameRelay({ physics: physicsRef, topology }), { name: 'frames', mailbox: { capacity: 1_000, overflow: 'drop-oldest' } }),
    childSpec(ssspPortActor({ sssp: pathRef<SsspMsg>(system, COMPUTE_PATHS.sssp) }), { name: 'sssp-port' }),
  ];
  return {
    compute,
    ports: {
      frames: relayFrameSource(pathRef<FrameRelayMsg>(system, COMPUTE_PATHS.frames)),
      layout: physicsLayout(physicsRef),
      graph: graphPort(system, graph),
      sssp: ssspPort(pathRef<SsspPortMsg>(system, COMPUTE_PATHS.ssspPort)),
    },
  };
}

/** Drags go straight to the physics actor, which pins and releases (physics-messages.ts). */
function physicsLayout(physics: Ref<PhysicsMsg>): LayoutPort {
  return {
    drag: (id, position) => physics.tell({ type: 'drag', id, position: { x: position.x, y: position.y, z: position.z } }),
    release: (id) => physics.tell({ type: 'unpin', id }),
  };
}
