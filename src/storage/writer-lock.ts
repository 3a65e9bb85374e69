// One writer per store, fenced by a PostgreSQL session advisory lock on the journal's own
// connection. It matters after a crash: the server keeps running a statement whose client died
// and commits it when done, so a restarted node that read the journal at once could recover
// without that group (or tear it across shards) and then reuse its sequence numbers. The lock
// belongs to the dead client's backend until that backend ends, which is after its statement; a
// new writer waits for it, then reads a journal nothing else can still change. It also refuses a
// second live node on the same database with a clear error instead of two interleaved journals.
import { setTimeout as sleep } from 'node:timers/promises';
import { asNumber, type SqlQueryable } from './sql.ts';

/** The advisory lock key of the graph journal's writer (one per database). */
export const WRITER_LOCK_KEY = 0x5646_4a31;

export interface WriterLockOptions {
  /** How long to wait for a previous holder before giving up (ms). */
  readonly waitMs: number;
  /** Called once when the lock is taken by someone else and we start waiting. */
  readonly onWait?: (holder: string) => void;
  /** Poll interval (ms). */
  readonly pollMs?: number;
}

export class StoreInUseError extends Error {
  constructor(holder: string, waitedMs: number) {
    super(`another process writes this store (${holder}); still held after ${waitedMs} ms. Stop it, or point this node at another database`);
    this.name = 'StoreInUseError';
  }
}

/** Takes the writer lock on `session` (one connection), waiting for a previous holder to end. */
export async function takeWriterLock(session: SqlQueryable, o: WriterLockOptions): Promise<void> {
  const started = Date.now();
  let holder: string | undefined;
  for (;;) {
    const [row] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [WRITER_LOCK_KEY]);
    if (row?.ok === true) return;
    if (holder === undefined) {
      holder = await describeHolder(session);
      o.onWait?.(holder);
    }
    const waited = Date.now() - started;
    if (waited >= o.waitMs) throw new StoreInUseError(await describeHolder(session), waited);
    await sleep(Math.min(o.pollMs ?? 50, Math.max(1, o.waitMs - waited)));
  }
}

async function describeHolder(session: SqlQueryable): Promise<string> {
  const [r] = await session.query(
    `SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, a.state, a.query_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [WRITER_LOCK_KEY],
  );
  if (r === undefined) return 'a backend that has just ended';
  const what = r.state === 'active' ? `still running a statement since ${String(r.query_start)}` : String(r.state ?? 'unknown state');
  const app = typeof r.app === 'string' && r.app !== '' ? r.app : 'a client';
  return `backend pid ${asNumber(r.pid)} of ${app}${r.addr === null ? '' : ` at ${String(r.addr)}`}, ${what}`;
}
