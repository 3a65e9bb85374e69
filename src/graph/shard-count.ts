// The shard count is part of the data: snapshots and journal rows are per shard, so a store
// written with N shards is refused by a graph started with M (re-sharding means re-importing).
import { readMeta } from '../storage/journal-store.ts';
import type { SqlQueryable } from '../storage/sql.ts';

export class ShardCountMismatch extends Error {
  constructor(stored: number, wanted: number) {
    super(`this store was written by ${stored} graph shards, not ${wanted}: start with --shards ${stored} (or VF_SHARDS=${stored})`);
    this.name = 'ShardCountMismatch';
  }
}

export async function ensureShardCount(db: SqlQueryable, shards: number): Promise<void> {
  const stored = await readMeta(db, 'shards');
  if (stored === undefined) {
    await db.query("INSERT INTO graph_meta (key, value) VALUES ('shards', $1) ON CONFLICT (key) DO NOTHING", [String(shards)]);
    const now = await readMeta(db, 'shards');
    if (now !== String(shards)) throw new ShardCountMismatch(Number(now), shards);
    return;
  }
  if (Number(stored) !== shards) throw new ShardCountMismatch(Number(stored), shards);
}
