// The graph subsystem as the application tree runs it: the children of /app/graph. One supervisor
// `core` (one-for-one) over the shards and the router: a shard that fails restarts alone, and the
// units it was part of fail alone (the others roll their parts back), so its siblings and the
// router keep serving meanwhile (graph-router.ts, graph-shard.ts).
//
//   /app/graph/core           one-for-one
//     /app/graph/core/shard-0 .. shard-(N-1)
//     /app/graph/core/router  the entry point: updates, queries, topology and change subscriptions
//
// The gateway reaches it through graphPort(system, parts) (./gateway-port.ts).
import { HybridClock } from '../crdt/hlc.ts';
import { graphRouter } from '../actors/graph-router.ts';
import { graphShard } from '../actors/graph-shard.ts';
import type { BackoffOptions } from '../shared/backoff.ts';
import { childSpec, type AnyChildSpec } from '../supervisors/child-spec.ts';
import { Strategies } from '../supervisors/strategy.ts';
import { supervisorSpec } from '../supervisors/supervisor.ts';
import type { Store } from '../storage/open-store.ts';
import { ChangeHub } from './change-hub.ts';
import { Partitioner } from './partition.ts';
import { ShardHealth } from '../actors/shard-health.ts';
import { TopologyHub } from './topology-hub.ts';

export { openStore, type Store, type StoreEnv } from '../storage/open-store.ts';

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
  /** Where the subsystem is mounted (default /app/graph). */
  readonly mountPath?: string;
  /** Most change subscribers (gateway sessions) at once (default 10,000). */
  readonly maxChangeSubscribers?: number;
  /** How long the router waits for the shards' answers to a query (default 5 s). */
  readonly queryTimeoutMs?: number;
  /** How long the router's probe of a shard that did not answer waits before it sends another (default 30 s). */
  readonly probeTimeoutMs?: number;
}

export interface GraphSubsystem {
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

export function graphSubsystemParts(o: GraphSubsystemOptions): GraphSubsystem {
  const n = o.shards ?? 4;
  const partitioner = new Partitioner(n);
  const base = `${o.mountPath ?? '/app/graph'}/core`;
  const shardPaths = Array.from({ length: n }, (_, i) => `${base}/shard-${i}`);
  const hub = new TopologyHub();
  const changes = new ChangeHub(o.maxChangeSubscribers);
  const clock = new HybridClock(o.hlcNode ?? 1, o.wallNow ?? Date.now);
  const health = new ShardHealth(shardPaths);
  const mailbox = { capacity: o.mailboxCapacity ?? 250_000, overflow: 'reject' as const };
  const shards = shardPaths.map((_, i) =>
    childSpec(graphShard({ shard: i, shards: n, db: o.store.db as Store['db'], journal: o.store.journal, snapshotEvery: o.snapshotEvery ?? 10_000 }), {
      name: `shard-${i}`,
      mailbox,
      shutdownTimeoutMs: 30_000,
    }),
  );
  const router = childSpec(graphRouter({
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
    }), { name: 'router', mailbox });
  const strategy = Strategies.oneForOne({
    intensity: { maxRestarts: 20, withinMs: 60_000 },
    ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
  });
  return { children: [supervisorSpec('core', strategy, [...shards, router])], routerPath: `${base}/router`, shardPaths, hub, changes, clock, health };
}

/** The children of the /app/graph supervisor (AppOptions.children.graph). */
export function graphSubsystem(o: GraphSubsystemOptions): AnyChildSpec[] {
  return graphSubsystemParts(o).children;
}

export const GRAPH_ROUTER_PATH = '/app/graph/core/router';
