// The application's supervision tree, all of it: every child spec, in start order, with its path
// (built from the name each actor module exports) and its strategy. Subsystems start in dependency
// order and stop in reverse: dead letters first (everything else may produce them) and the gateway
// last (clients are let in only when what serves them is up, and are cut off first on shutdown).
//
//   /app                                one-for-one
//     dead-letters                      one-for-one
//       retry                           redelivers with backoff, then the permanent-failure sink
//     settings                          one-for-one
//       store                           typed settings, deltas, broadcast
//     graph                             one-for-one
//       core                            one-for-one, 20 restarts a minute: a shard fails alone
//         shard-0 .. shard-(N-1)        nodes and edges, journal, snapshots
//         router                        routes commands, acks after the commit, topology and changes
//     compute                           one-for-one
//       physics                         force layout; supervises its engine with the fallback decider
//         engine                        CUDA or CPU workers (spawned by the physics actor)
//       sssp                            shortest paths
//       physics-settings                physics.* settings to the physics actor
//       frames                          positions to the gateway
//       sssp-port                       shortest paths to and from the gateway
//     agents                            one-for-one
//       queue                           the durable task queue: every task, lease and attempt
//       planner                         decomposes tasks by their recipes, aggregates results
//       swarms                          the swarms registry: where agents register
//         <swarm>                       one per swarm, started on first use, one-for-one
//           dispatcher                  the swarm's agents, their leases and their graph nodes
//     gateway                           one-for-one
//       server                          HTTP and WebSocket; a session actor per client, the fanout
//
// Refs between subsystems are by path (pathRef), so each side may start and restart on its own;
// the start order means the targets are there when first used.
import { AgentEventHub } from '../actors/agent-port.ts';
import { deadLetterRetry, DEFAULT_RETRY_POLICY, RETRY_NAME, type RetryPolicy } from '../actors/dead-letter-retry.ts';
import { graphPages } from '../actors/graph-pages.ts';
import { plannerActor, PLANNER_SPAWN } from '../actors/planner.ts';
import { taskPort } from '../actors/task-port.ts';
import { taskQueueActor, TASK_QUEUE_SPAWN, type TaskQueueOptions } from '../actors/task-queue.ts';
import { frameRelay, FRAMES_NAME, relayFrameSource, type FrameRelayMsg } from '../actors/frame-relay.ts';
import { gateway, GATEWAY_NAME, GATEWAY_SCHEDULING, type GatewayOptions } from '../actors/gateway.ts';
import { graphPort } from '../actors/graph-port.ts';
import { graphRouter, GRAPH_ROUTER_NAME } from '../actors/graph-router.ts';
import { graphShard, shardName } from '../actors/graph-shard.ts';
import type { PermanentFailureSink } from '../actors/permanent-failure-sink.ts';
import { engineCandidates, type EngineChoice } from '../actors/physics-engines.ts';
import type { PhysicsMsg } from '../actors/physics-messages.ts';
import { physicsSettings, PHYSICS_SETTINGS_NAME } from '../actors/physics-settings.ts';
import { physicsActor, PHYSICS_ENGINE_NAME, PHYSICS_NAME, type PhysicsActorOptions } from '../actors/physics.ts';
import { settingsActor, SETTINGS_SCHEDULING, SETTINGS_STORE_NAME, type SettingsActorOptions } from '../actors/settings.ts';
import { ShardHealth } from '../actors/shard-health.ts';
import { ssspPort, ssspPortActor, SSSP_PORT_NAME, type SsspPortMsg } from '../actors/sssp-port.ts';
import { ssspActor, SSSP_NAME, type SsspActorOptions, type SsspMsg } from '../actors/sssp.ts';
import type { SwarmLimits, SwarmLog } from '../actors/swarm-options.ts';
import { swarmRegistry, SWARMS_NAME } from '../actors/swarm-registry.ts';
import { TASK_QUEUE_PATH, type TaskQueueMsg } from '../actors/task-messages.ts';
import { HybridClock } from '../crdt/hlc.ts';
import type { CudaEngineOptions } from '../gpu/physics-engine.ts';
import type { FrameSource, GraphPort, LayoutPort, SsspPort } from '../gateway/ports.ts';
import { ChangeHub } from '../graph/change-hub.ts';
import { Partitioner } from '../graph/partition.ts';
import { TopologyHub } from '../graph/topology-hub.ts';
import type { TopologySubscription } from '../graph/topology.ts';
import { EngineSelector, engineFallbackDecider, type EngineCandidate, type EngineSelectorOptions } from '../physics/engine-selector.ts';
import type { MailboxOptions } from '../runtime/overflow-policy.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { Ref } from '../runtime/ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { SettingsMsg } from '../settings/protocol.ts';
import { SqlDeltaLog } from '../settings/sql-delta-log.ts';
import type { BackoffOptions } from '../shared/backoff.ts';
import type { Store } from '../storage/open-store.ts';
import { childSpec, type AnyChildSpec, type ChildSpec } from './child-spec.ts';
import { nodeReadiness } from './node-readiness.ts';
import { Strategies, type SupervisorStrategy } from './strategy.ts';
import { supervisorSpec, type SupervisorMsg } from './supervisor.ts';

// ---- paths ----------------------------------------------------------------------------------------

export const SUBSYSTEMS = ['dead-letters', 'settings', 'graph', 'compute', 'agents', 'gateway'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];

const APP_NAME = 'app';
const pathOf = (subsystem: Subsystem, ...names: string[]): string => `/${[APP_NAME, subsystem, ...names].join('/')}`;

export const RETRY_ACTOR_PATH = pathOf('dead-letters', RETRY_NAME);
export const SETTINGS_STORE_PATH = pathOf('settings', SETTINGS_STORE_NAME);
/** Where the graph subsystem is mounted unless told otherwise (GraphSubsystemOptions.mountPath). */
export const GRAPH_MOUNT_PATH = pathOf('graph');
export const COMPUTE_PATHS = {
  physics: pathOf('compute', PHYSICS_NAME),
  sssp: pathOf('compute', SSSP_NAME),
  frames: pathOf('compute', FRAMES_NAME),
  physicsSettings: pathOf('compute', PHYSICS_SETTINGS_NAME),
  ssspPort: pathOf('compute', SSSP_PORT_NAME),
} as const;
export const PHYSICS_PATH = COMPUTE_PATHS.physics;
export const PHYSICS_ENGINE_PATH = `${PHYSICS_PATH}/${PHYSICS_ENGINE_NAME}`;
export const GATEWAY_PATH = pathOf('gateway', GATEWAY_NAME);

// ---- /app and its subsystems ----------------------------------------------------------------------

export interface AppOptions {
  readonly failureSink: PermanentFailureSink;
  readonly retryPolicy?: RetryPolicy;
  /** Actors each subsystem supervises (besides the retry actor in dead-letters). */
  readonly children?: Partial<Record<Subsystem, readonly AnyChildSpec[]>>;
  readonly strategies?: Partial<Record<Subsystem | 'app', SupervisorStrategy>>;
}

/** A client session wants the latest frame or broadcast, not an old one late and out of order. */
const APP_RETRY_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, skipRecipients: [`${pathOf('gateway')}/`] };

export function appSpec(options: AppOptions): AnyChildSpec {
  const retry = childSpec(deadLetterRetry(options.failureSink, options.retryPolicy ?? APP_RETRY_POLICY), {
    name: RETRY_NAME,
    mailbox: { capacity: 50_000, overflow: 'reject' },
  });
  const subsystems = SUBSYSTEMS.map((name) => {
    const own = options.children?.[name] ?? [];
    const children = name === 'dead-letters' ? [retry, ...own] : own;
    return supervisorSpec(name, options.strategies?.[name] ?? Strategies.oneForOne(), children);
  });
  return supervisorSpec(APP_NAME, options.strategies?.app ?? Strategies.oneForOne(), subsystems);
}

/** Spawns /app and its subsystems under the system's root. */
export function startApp(system: ActorSystem, options: AppOptions): Ref<SupervisorMsg> {
  const spec = appSpec(options) as unknown as ChildSpec<SupervisorMsg>;
  return system.spawn(spec.factory, spec);
}

// ---- settings -------------------------------------------------------------------------------------

/** The children of /app/settings: the store at SETTINGS_STORE_PATH. */
export function settingsChildren(options: SettingsActorOptions): AnyChildSpec[] {
  return [
    childSpec(settingsActor(options), {
      name: SETTINGS_STORE_NAME,
      mailbox: { capacity: 10_000, overflow: 'reject' },
      ...SETTINGS_SCHEDULING,
    }),
  ];
}

// ---- graph ----------------------------------------------------------------------------------------

export interface GraphSubsystemOptions {
  readonly store: Pick<Store, 'db' | 'journal'>;
  /** Default 4 (VF_SHARDS). Fixed for the life of a store. */
  readonly shards?: number;
  /** A shard snapshots after this many of its events (default 10,000). */
  readonly snapshotEvery?: number;
  /** This node's id in HLC stamps (u32). */
  readonly hlcNode?: number;
  /** Wall-clock ms for HLC stamps (injectable for tests). */
  readonly wallNow?: () => number;
  readonly backoff?: BackoffOptions;
  /** Shard and router mailbox capacity (default 250,000; beyond it, dead letters). */
  readonly mailboxCapacity?: number;
  /** Where the subsystem is mounted (default GRAPH_MOUNT_PATH, /app/graph). */
  readonly mountPath?: string;
  /** Most change subscribers (gateway sessions) at once (default 10,000). */
  readonly maxChangeSubscribers?: number;
  /** How long the router waits for the shards' answers to a query (default 5 s). */
  readonly queryTimeoutMs?: number;
  /** How long the router's probe of a shard that did not answer waits before it sends another (default 30 s). */
  readonly probeTimeoutMs?: number;
}

export interface GraphSubsystem {
  /** The children of the graph's mount point: the core supervisor. */
  readonly children: AnyChildSpec[];
  readonly routerPath: string;
  readonly shardPaths: readonly string[];
  readonly hub: TopologyHub;
  /** Committed changes for the clients (the gateway's GraphChanged). */
  readonly changes: ChangeHub;
  readonly clock: HybridClock;
  /** Which shards can take work now: for /readyz and the status page too. */
  readonly health: ShardHealth;
}

/**
 * The graph subsystem: one supervisor `core` (one-for-one) over the shards and the router. A shard
 * that fails restarts alone, and the units it was part of fail alone (the others roll their parts
 * back), so its siblings and the router keep serving meanwhile (graph-router.ts, graph-shard.ts).
 *
 * The core supervisor owns the state that must outlive its children's restarts, made here once
 * with its spec and handed to every incarnation of the router: the topology and change hubs (so
 * the physics, SSSP and gateway sessions stay subscribed while the router restarts), the hybrid
 * clock (so stamps never go back across a restart) and the shards' health (so a shard that keeps
 * failing is still known as such). Everything else is rebuilt by the factories.
 */
export function graphSubsystemParts(o: GraphSubsystemOptions): GraphSubsystem {
  const n = o.shards ?? 4;
  const partitioner = new Partitioner(n);
  const base = `${o.mountPath ?? GRAPH_MOUNT_PATH}/core`;
  const shardPaths = Array.from({ length: n }, (_, i) => `${base}/${shardName(i)}`);
  const hub = new TopologyHub();
  const changes = new ChangeHub(o.maxChangeSubscribers);
  const clock = new HybridClock(o.hlcNode ?? 1, o.wallNow ?? Date.now);
  const health = new ShardHealth(shardPaths);
  const mailbox = { capacity: o.mailboxCapacity ?? 250_000, overflow: 'reject' as const };
  const shards = shardPaths.map((_, i) =>
    childSpec(
      graphShard({
        shard: i,
        shards: n,
        db: o.store.db as Store['db'],
        journal: o.store.journal,
        snapshotEvery: o.snapshotEvery ?? 10_000,
      }),
      {
        name: shardName(i),
        mailbox,
        shutdownTimeoutMs: 30_000,
      },
    ),
  );
  const router = childSpec(
    graphRouter({
      shardPaths,
      partitioner,
      journal: o.store.journal,
      db: o.store.db,
      hub,
      changes,
      clock,
      health,
      ...(o.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: o.queryTimeoutMs }),
      ...(o.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: o.probeTimeoutMs }),
    }),
    { name: GRAPH_ROUTER_NAME, mailbox },
  );
  const strategy = Strategies.oneForOne({
    intensity: { maxRestarts: 20, withinMs: 60_000 },
    ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
  });
  return {
    children: [supervisorSpec('core', strategy, [...shards, router])],
    routerPath: `${base}/${GRAPH_ROUTER_NAME}`,
    shardPaths,
    hub,
    changes,
    clock,
    health,
  };
}

// ---- compute --------------------------------------------------------------------------------------

export type PhysicsSubsystemOptions = Omit<PhysicsActorOptions, 'selector'> &
  EngineSelectorOptions & {
    /** Default 'auto', or a list of candidates (tests inject failing engines this way). */
    readonly engines?: EngineChoice | readonly EngineCandidate[];
    /** Worker threads of the CPU engine (default: every core). */
    readonly threads?: number;
    readonly cuda?: CudaEngineOptions;
    /** Restart backoff of the engine child. */
    readonly engineBackoff?: Partial<BackoffOptions>;
  };

export interface ComputeOptions {
  readonly physics?: PhysicsSubsystemOptions;
}

/** The supervision the physics actor applies to its engine child: the fallback decider, quick restarts. */
export function physicsSupervision(selector: EngineSelector, backoff?: Partial<BackoffOptions>): SupervisorStrategy {
  return Strategies.oneForOne({
    decider: engineFallbackDecider(selector),
    backoff: { minMs: 20, maxMs: 2_000, randomFactor: 0.2, resetAfterMs: 30_000, stashCapacity: 16, ...backoff },
    intensity: { maxRestarts: 20, withinMs: 60_000 },
  });
}

/**
 * The physics actor's child spec (PHYSICS_PATH; its engine at PHYSICS_ENGINE_PATH). The engine
 * selector is made here, with the spec, so what it learned (this GPU keeps failing) survives
 * restarts of the physics actor itself.
 */
export function computeSubsystem(options: ComputeOptions = {}): AnyChildSpec[] {
  const o = options.physics ?? {};
  const engines = o.engines ?? 'auto';
  const candidates = typeof engines === 'string' ? engineCandidates(engines, o) : engines;
  const selector = new EngineSelector(candidates, o);
  return [
    childSpec(physicsActor({ ...o, selector }), {
      name: PHYSICS_NAME,
      mailbox: { capacity: 100_000, overflow: 'reject' },
      supervision: physicsSupervision(selector, o.engineBackoff),
    }),
  ];
}

export interface SsspChildOptions extends SsspActorOptions {
  /** Child name under /app/compute (default SSSP_NAME). */
  readonly name?: string;
  readonly mailbox?: MailboxOptions;
}

/** The SSSP actor as children of the /app/compute supervisor (appSpec's children.compute). */
export function ssspChildren(options: SsspChildOptions = {}): AnyChildSpec[] {
  const { name = SSSP_NAME, mailbox = { capacity: 10_000, overflow: 'reject' }, ...actor } = options;
  return [childSpec(ssspActor(actor), { name, mailbox })];
}

export interface NodeWiring {
  /** The children of /app/compute. */
  readonly compute: AnyChildSpec[];
  /** What the gateway needs. */
  readonly ports: { readonly frames: FrameSource; readonly layout: LayoutPort; readonly graph: GraphPort; readonly sssp: SsspPort };
}

/**
 * How one node's subsystems are joined: the compute actors subscribe to the graph's topology, the
 * physics takes its parameters from the settings, and the gateway reaches positions, the layout
 * (node drags), the graph and shortest paths through its ports.
 */
export function wireNode(system: ActorSystem, graph: GraphSubsystem, physics: Omit<PhysicsSubsystemOptions, 'topology'> = {}): NodeWiring {
  const topology = pathRef<TopologySubscription>(system, graph.routerPath);
  const physicsRef = pathRef<PhysicsMsg>(system, COMPUTE_PATHS.physics);
  const compute = [
    ...computeSubsystem({ physics: { ...physics, topology } }),
    ...ssspChildren({ topology }),
    childSpec(physicsSettings({ settings: pathRef<SettingsMsg>(system, SETTINGS_STORE_PATH), physics: physicsRef }), {
      name: PHYSICS_SETTINGS_NAME,
    }),
    childSpec(frameRelay({ physics: physicsRef, topology }), { name: FRAMES_NAME, mailbox: { capacity: 1_000, overflow: 'drop-oldest' } }),
    childSpec(ssspPortActor({ sssp: pathRef<SsspMsg>(system, COMPUTE_PATHS.sssp) }), { name: SSSP_PORT_NAME }),
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

// ---- agents ---------------------------------------------------------------------------------------

export interface SwarmsOptions {
  /** Agents, their tasks and shared knowledge become graph nodes through it. */
  readonly graph?: GraphPort;
  /** Agent events for the clients (the gateway's AgentPort). */
  readonly events?: AgentEventHub;
  readonly limits?: Partial<SwarmLimits>;
  /** Swarms at once (default 64). */
  readonly maxSwarms?: number;
  readonly log?: SwarmLog;
}

/**
 * The swarms registry as a child of /app/agents (at SWARMS_PATH). Each swarm's supervisor restarts
 * its dispatcher alone; the dispatchers reach the task queue at TASK_QUEUE_PATH by path.
 */
export function swarmsChildren(system: ActorSystem, o: SwarmsOptions = {}): AnyChildSpec[] {
  const registry = swarmRegistry({
    queue: pathRef<TaskQueueMsg>(system, TASK_QUEUE_PATH),
    swarmSupervision: Strategies.oneForOne({ intensity: { maxRestarts: 10, withinMs: 60_000 } }),
    ...o,
  });
  return [childSpec(registry, { name: SWARMS_NAME, mailbox: { capacity: 10_000, overflow: 'reject' } })];
}

export interface AgentsOptions {
  readonly store: Pick<Store, 'db'>;
  /** The task queue's own limits and defaults (its store is the node's). */
  readonly queue?: Omit<TaskQueueOptions, 'db'>;
  readonly swarms?: SwarmsOptions;
}

/**
 * The children of /app/agents, in start order: the task queue (TASK_QUEUE_PATH), the planner
 * (PLANNER_PATH; the page recipes read the graph's pages) and the swarms registry. Each restarts
 * alone: the queue reloads every open task from the store, the planner is stateless, and agents
 * register again with a restarted swarm.
 */
export function agentsChildren(system: ActorSystem, o: AgentsOptions): AnyChildSpec[] {
  const graph = o.swarms?.graph;
  const noGraph = (): Promise<never> => Promise.reject(new Error('no graph on this node'));
  return [
    childSpec(taskQueueActor({ ...o.queue, db: o.store.db }), TASK_QUEUE_SPAWN),
    childSpec(plannerActor({ pages: graph === undefined ? noGraph : graphPages(graph) }), PLANNER_SPAWN),
    ...swarmsChildren(system, o.swarms),
  ];
}

// ---- gateway --------------------------------------------------------------------------------------

/** The children of /app/gateway: the gateway actor at GATEWAY_PATH. */
export function gatewayChildren(options: GatewayOptions): AnyChildSpec[] {
  return [childSpec(gateway(options), { name: GATEWAY_NAME, ...GATEWAY_SCHEDULING, mailbox: { capacity: 4096, overflow: 'drop-oldest' } })];
}

// ---- one node -------------------------------------------------------------------------------------

export interface NodeTreeOptions {
  readonly store: Store;
  readonly shards: number;
  readonly physics?: Omit<PhysicsSubsystemOptions, 'topology'>;
  /** The gateway's own options; its ports and readiness are joined up here. */
  readonly gateway: Omit<
    GatewayOptions,
    'treePath' | 'settingsPath' | 'readiness' | 'frames' | 'layout' | 'graph' | 'sssp' | 'agents' | 'tasks'
  >;
  /** The agent swarms' options (their graph port and event hub are joined up here). */
  readonly swarms?: Omit<SwarmsOptions, 'graph' | 'events'>;
  /** The task queue's limits and defaults. */
  readonly queue?: Omit<TaskQueueOptions, 'db'>;
}

export interface NodeTree {
  /** The graph router's path: where graph commands (an import, say) go. */
  readonly graphRouterPath: string;
}

/** Starts one node's whole tree under `system`: every subsystem above, joined up. */
export function startNodeTree(system: ActorSystem, o: NodeTreeOptions): NodeTree {
  const graph = graphSubsystemParts({ store: o.store, shards: o.shards });
  const wiring = wireNode(system, graph, o.physics);
  const readiness = nodeReadiness({ system, graph, store: o.store, physics: [PHYSICS_PATH, PHYSICS_ENGINE_PATH] });
  const agentEvents = new AgentEventHub();
  startApp(system, {
    failureSink: o.store.failures,
    children: {
      settings: settingsChildren({ log: new SqlDeltaLog(o.store.settings) }),
      graph: graph.children,
      compute: wiring.compute,
      agents: agentsChildren(system, {
        store: o.store,
        ...(o.queue === undefined ? {} : { queue: o.queue }),
        swarms: { ...o.swarms, graph: wiring.ports.graph, events: agentEvents },
      }),
      gateway: gatewayChildren({
        ...o.gateway,
        treePath: `/${APP_NAME}`,
        settingsPath: SETTINGS_STORE_PATH,
        readiness,
        ...wiring.ports,
        agents: agentEvents,
        tasks: taskPort(system),
      }),
    },
  });
  return { graphRouterPath: graph.routerPath };
}
