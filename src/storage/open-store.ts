// Opens the node's storage: PostgreSQL through `pg` when DATABASE_URL is set, otherwise the
// embedded PGlite in a local folder (VF_DATA_DIR, default ./data/pglite), which one process at a
// time may open (data-dir-lock.ts). Same migrations, same SQL. The store carries the graph
// journal, the permanent-failure sink and the settings deltas.
import { mkdirSync } from 'node:fs';
import { RealClock, type Clock } from '../shared/clock.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { SqlFailureSink } from './failure-sink.ts';
import { GroupCommitJournal, type GroupCommitOptions } from './group-commit.ts';
import { migrate } from './migrate.ts';
import { pgClient } from './pg-client.ts';
import { SettingsDeltaStore } from './settings-deltas.ts';
import type { SqlClient } from './sql.ts';

export interface Store {
  readonly db: SqlClient;
  readonly journal: GroupCommitJournal;
  readonly failures: SqlFailureSink;
  readonly settings: SettingsDeltaStore;
  /** Where it lives, for logs: the URL without credentials, or the PGlite folder. */
  readonly description: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  readonly clock?: Clock;
  readonly groupCommit?: Partial<GroupCommitOptions>;
  /** Wall-clock ms for commit times (replay to t); injectable for tests. */
  readonly wallNow?: () => number;
  /** Hears once when another process holds the store's writer lock and opening waits for it. */
  readonly onWriterWait?: (holder: string) => void;
}

export interface StoreEnv {
  readonly DATABASE_URL?: string;
  readonly VF_DATA_DIR?: string;
}

/** Opens (and migrates) the store the environment names. */
export async function openStore(env: StoreEnv = process.env, options: StoreOptions = {}): Promise<Store> {
  const url = env.DATABASE_URL;
  if (url !== undefined && url !== '') return openStoreOn(pgClient(url), redact(url), options);
  const dir = env.VF_DATA_DIR ?? './data/pglite';
  mkdirSync(dir, { recursive: true });
  // Before PGlite touches the folder: a second process on it would corrupt it (data-dir-lock.ts).
  const lock = lockDataDir(dir);
  try {
    // Loaded only when used: PGlite's WebAssembly is heavy to import.
    const { pgliteClient } = await import('./pglite-client.ts');
    const store = await openStoreOn(await pgliteClient(dir), `pglite:${dir}`, options);
    return {
      ...store,
      async close() {
        try {
          await store.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Opens the store on a client already made (an in-memory PGlite in tests). */
export async function openStoreOn(db: SqlClient, description: string, options: StoreOptions = {}): Promise<Store> {
  try {
    await migrate(db);
    const journal = await GroupCommitJournal.open(
      db,
      options.clock ?? new RealClock(),
      options.groupCommit,
      options.wallNow,
      options.onWriterWait,
    );
    return {
      db,
      journal,
      failures: new SqlFailureSink(db),
      settings: new SettingsDeltaStore(db),
      description,
      async close() {
        await journal.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
