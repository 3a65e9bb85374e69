// One process per PGlite folder. PGlite on the Node filesystem takes no lock of its own (the
// postmaster.pid it writes names no real process), so a second process on the same folder opens
// it too, both write, and the folder is left unreadable. The lock is a file beside the folder
// (`<folder>.lock`: initdb wants the folder itself empty) naming the process that holds it.
//
// - It is created whole or not at all: written to a file of its own first, then hard-linked into
//   place, which fails if a lock is already there.
// - A lock whose process has ended (a crash, a kill -9) is taken over. A live holder is never
//   taken over, however long it has held the lock: a process busy in a long synchronous step is
//   indistinguishable from a stuck one, and taking over from either corrupts the folder.
// - A lock from another host cannot be checked and is refused like a live one; the message says
//   which file to delete once that holder is known to be gone.
// - A lock naming this process's own pid that this process did not take is a previous process's
//   that had the same pid: in a container the node is pid 1 at every start.
// Not covered: two processes taking over the same dead holder's lock at the same instant; one can
// remove the lock the other has just made. That needs a crash and two starts within microseconds.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When it took the lock (ISO 8601). */
  readonly since: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.host}`;
    super(
      `${dir} is in use by ${where} since ${holder.since}: stop it, or point this node at another folder (VF_DATA_DIR). ` +
        `If no node runs there any more, delete ${lockFile}`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** Lock files this process holds (a second store on the same folder in this process is refused too). */
const heldHere = new Set<string>();

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock if it is still this process's; safe to call more than once. */
  release(): void;
}

/** Takes the lock on `dir` for this process, or throws DataDirInUseError naming the holder. */
export function lockDataDir(dir: string): DataDirLock {
  const absolute = resolve(dir);
  const file = `${absolute}.lock`;
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const content = JSON.stringify(mine);
  // Two tries: the second after taking over from a holder that has ended.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(file, content)) return held(file, content);
    const holder = readHolder(file);
    if (holder === 'gone') continue; // released meanwhile
    if (holder !== 'unreadable' && isAlive(holder, file)) throw new DataDirInUseError(absolute, file, holder);
    // Ended, or not a lock this code could have written (it writes whole locks only).
    removeIfUnchanged(file, holder);
  }
  const holder = readHolder(file);
  throw new DataDirInUseError(absolute, file, typeof holder === 'object' ? holder : { pid: -1, host: 'unknown', since: 'unknown' });
}

function held(file: string, content: string): DataDirLock {
  let released = false;
  heldHere.add(file);
  const release = (): void => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8') === content) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  // A process that exits without closing its store still leaves no lock behind.
  process.on('exit', release);
  return { file, release };
}

function tryCreate(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(draft, content, { flag: 'wx' });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

function readHolder(file: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(value.pid) && value.pid! > 0 && typeof value.host === 'string' && typeof value.since === 'string') {
      return { pid: value.pid!, host: value.host, since: value.since };
    }
  } catch {
    // Falls through.
  }
  return 'unreadable';
}

/** Whether the holder may still be running: always so for another host's, which cannot be checked. */
function isAlive(holder: LockHolder, file: string): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves the stale lock aside and removes it; puts it back if it was not the one seen (another process took over first). */
function removeIfUnchanged(file: string, seen: LockHolder | 'unreadable'): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const now = readHolder(aside);
  const same =
    now === seen ||
    (typeof now === 'object' && typeof seen === 'object' && now.pid === seen.pid && now.host === seen.host && now.since === seen.since);
  if (!same) {
    try {
      linkSync(aside, file);
    } catch {
      // Yet another lock is in place now: it decides.
    }
  }
  unlinkSync(aside);
}
