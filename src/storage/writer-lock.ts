// One writer per store, fenced by a PostgreSQL session advisory lock on the journal's own
// connection. It matters after a crash: the server keeps running a statement whose client died
// and commits it when done, so a restarted node that read the journal at once could recover
// without that group (or tear it across shards) and then reuse its sequence numbers. The lock
// belongs to the dead client's backend until that backend ends, which is after its statement; a
// new writer waits for it, then reads a journal nothing else can still change. It also refuses a
// second live node on the same database with a clear error instead of two interleaved journals.
//
// The journal keeps one writer connection for the life of the store. When it has to replace it
// (a commit failed with the connection), its own previous backend may still hold the lock: that one
// is ended at once rather than waited for, and the wait is reported as this process's, not as
// another process's.
import { setTimeout as sleep } from 'node:timers/promises';
import { asNumber, type SqlQueryable } from './sql.ts';

/** The advisory lock key of the graph journal's writer (one per database). */
export const WRITER_LOCK_KEY = 0x5646_4a31;

export interface WriterLockOptions {
  /** How long to wait for another process's holder before giving up (ms). */
  readonly waitMs: number;
  /** Called once when the lock is taken by someone else and we start waiting. */
  readonly onWait?: (holder: string) => void;
  /** Poll interval (ms). */
  readonly pollMs?: number;
  /**
   * The backend of this process's previous writer connection, when the journal replaces a broken
   * one: if that backend still holds the lock it is ended, not waited for as another process's.
   */
  readonly previousBackend?: number;
}

export class StoreInUseError extends Error {
  constructor(holder: string, waitedMs: number) {
    super(
      `another process writes this store (${holder}); still held after ${waitedMs} ms. Stop it, or point this node at another database`,
    );
    this.name = 'StoreInUseError';
  }
}

interface Holder {
  readonly pid: number | undefined;
  readonly text: string;
}

/** Takes the writer lock on `session` (one connection), waiting for a previous holder to end. */
export async function takeWriterLock(session: SqlQueryable, o: WriterLockOptions): Promise<void> {
  const started = Date.now();
  let told = false;
  for (;;) {
    const [row] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [WRITER_LOCK_KEY]);
    if (row?.ok === true) return;
    const holder = await describeHolder(session);
    const own = holder.pid !== undefined && holder.pid === o.previousBackend;
    if (!told) {
      told = true;
      o.onWait?.(own ? `this process's own previous journal connection (${holder.text}); ending it` : `another process: ${holder.text}`);
    }
    if (own) {
      // Ours, and abandoned: its last statement either committed already or never will.
      await session.query('SELECT pg_terminate_backend($1)', [holder.pid]);
    } else {
      const waited = Date.now() - started;
      if (waited >= o.waitMs) throw new StoreInUseError(holder.text, waited);
    }
    await sleep(Math.min(o.pollMs ?? 50, Math.max(1, o.waitMs - (Date.now() - started))));
  }
}

async function describeHolder(session: SqlQueryable): Promise<Holder> {
  const [r] = await session.query(
    `SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, a.state, a.query_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [WRITER_LOCK_KEY],
  );
  if (r === undefined) return { pid: undefined, text: 'a backend that has just ended' };
  const what = r.state === 'active' ? `still running a statement since ${String(r.query_start)}` : String(r.state ?? 'unknown state');
  const app = typeof r.app === 'string' && r.app !== '' ? r.app : 'a client';
  const pid = asNumber(r.pid);
  return { pid, text: `backend pid ${pid} of ${app}${r.addr === null ? '' : ` at ${String(r.addr)}`}, ${what}` };
}
