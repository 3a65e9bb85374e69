// Rebuilding a shard from storage: its newest snapshot (taken by `atMs`, when given) and then the
// tail of its journal after the units that snapshot covers, read page by page. Used by a shard
// when it (re)starts and by replay-to-time. A damaged row stops recovery with a clear error
// rather than silently producing a different graph.
import { latestSnapshot, readTail } from '../storage/journal-store.ts';
import type { SqlQueryable } from '../storage/sql.ts';
import { decodeEvent } from './event-codec.ts';
import { ShardState } from './shard-state.ts';
import { decodeSnapshotInto } from './snapshot-codec.ts';

export interface RecoveredShard {
  readonly state: ShardState;
  /** The last unit reflected in the state (0 when none). */
  readonly lastUnit: number;
  readonly snapshotEntries: number;
  readonly tailEvents: number;
}

export class CorruptJournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptJournalError';
  }
}

export async function recoverShard(db: SqlQueryable, shard: number, atMs?: number): Promise<RecoveredShard> {
  const state = new ShardState();
  const snap = await latestSnapshot(db, shard, atMs);
  let lastUnit = 0;
  let snapshotEntries = 0;
  if (snap !== undefined) {
    const loaded = decodeSnapshotInto(snap.body, state);
    if (!loaded.ok) throw new CorruptJournalError(`shard ${shard} snapshot at unit ${snap.unit}: ${loaded.error}`);
    snapshotEntries = loaded.value;
    lastUnit = snap.unitUpto;
  }
  let tailEvents = 0;
  for await (const page of readTail(db, shard, lastUnit, atMs)) {
    for (const row of page) {
      const e = decodeEvent(row.kind, row.payload);
      if (!e.ok) throw new CorruptJournalError(`shard ${shard} event seq ${row.seq}: ${e.error}`);
      state.apply(e.value);
      lastUnit = Math.max(lastUnit, row.unit);
      tailEvents++;
    }
  }
  return { state, lastUnit, snapshotEntries, tailEvents };
}
