// Replay to a point in time: the graph exactly as it was at commit time `atMs` (wall ms), from
// each shard's newest snapshot taken by then plus the events committed after it up to `atMs`.
// Exact because a snapshot covers only units committed before it, and commit times never go
// backwards along the journal. All shards are read in one REPEATABLE READ transaction, so a group
// that commits meanwhile is seen in every shard or in none.
import type { SqlClient } from '../storage/sql.ts';
import { readMeta } from '../storage/journal-store.ts';
import type { EdgeValue, NodeValue } from './model.ts';
import { recoverShard } from './recover.ts';

export interface GraphView {
  readonly nodes: ReadonlyMap<number, NodeValue>;
  readonly edges: ReadonlyMap<bigint, EdgeValue>;
}

/** The live graph at `atMs` (now, when undefined). */
export async function replayTo(db: SqlClient, atMs?: number): Promise<GraphView> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const stored = await readMeta(tx, 'shards');
    const shards = stored === undefined ? 0 : Number(stored);
    const nodes = new Map<number, NodeValue>();
    const edges = new Map<bigint, EdgeValue>();
    for (let s = 0; s < shards; s++) {
      const { state } = await recoverShard(tx, s, atMs);
      for (const [id, n] of state.nodes.live()) nodes.set(id, n);
      for (const [id, e] of state.edges.live()) edges.set(id, e);
    }
    return { nodes, edges };
  });
}
