// The node's answer to /readyz (gateway/readiness.ts): can the graph commit, can the store be
// reached, is a physics engine running. Read from what supervision already knows (which actors
// have started and not failed since, which graph shards are out) and from one bounded query of
// the store: nothing here waits in an actor's mailbox behind the work it reports on.
import type { ShardHealth } from '../actors/shard-health.ts';
import { report, serving, subsystem, within, type ReadinessReport, type SubsystemReadiness } from '../gateway/readiness.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { Store } from '../storage/open-store.ts';
import { SupervisionWatch } from './supervision-watch.ts';

/** How long the store's check waits. */
const STORE_CHECK_MS = 1_000;

export interface NodeReadinessDeps {
  readonly system: ActorSystem;
  readonly graph: { readonly routerPath: string; readonly health: ShardHealth };
  /** The physics actor's path and its engine's (app-tree.ts). */
  readonly physics: readonly string[];
  readonly store: Pick<Store, 'db' | 'journal'>;
}

/** Made before the tree starts, so that it sees every actor start. */
export function nodeReadiness(d: NodeReadinessDeps): (treeUp: boolean) => Promise<ReadinessReport> {
  const watch = new SupervisionWatch([d.graph.routerPath, ...d.physics], d.system);

  const down = (path: string): string | undefined => {
    const c = watch.condition(path);
    if (c.up) return undefined;
    const failures = c.failures > 0 ? ` (${c.failures} failure${c.failures === 1 ? '' : 's'} in a row)` : '';
    return `${path} is not running${failures}: ${c.reason ?? 'restarting'}`;
  };

  const store = async (): Promise<SubsystemReadiness> => {
    const problem = d.store.journal.stats().problem;
    if (problem !== undefined) return subsystem('down', [`the store cannot be written: ${problem}`]);
    return within(
      STORE_CHECK_MS,
      d.store.db.query('SELECT 1 AS one').then(() => serving()),
      (error) =>
        subsystem('down', [
          error === undefined
            ? `the store did not answer within ${STORE_CHECK_MS / 1000} s`
            : `the store cannot be reached: ${String(error)}`,
        ]),
    );
  };

  const graph = (storeState: SubsystemReadiness): SubsystemReadiness => {
    const router = down(d.graph.routerPath);
    if (router !== undefined) return subsystem('down', [router]);
    if (storeState.state === 'down')
      return subsystem(
        'down',
        storeState.reasons.map((r) => `commits cannot be made: ${r}`),
      );
    const troubled = d.graph.health.troubled();
    if (troubled.length === 0) return serving();
    const reasons = troubled.map((t) => d.graph.health.describe(t.shard)!);
    return subsystem(troubled.length === d.graph.health.paths.length ? 'down' : 'degraded', reasons);
  };

  const physics = (): SubsystemReadiness => {
    const reasons = d.physics.map(down).filter((r) => r !== undefined);
    return reasons.length === 0 ? serving() : subsystem('down', reasons);
  };

  return async (treeUp) => {
    const storeState = await store();
    return report(treeUp, { graph: graph(storeState), store: storeState, physics: physics() });
  };
}
