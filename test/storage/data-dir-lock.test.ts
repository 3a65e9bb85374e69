// One process per PGlite folder: a second open is refused with the holder named, a lock left by a
// process that has ended is taken over, a live or another host's lock never is, and the store
// releases its lock on close.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DataDirInUseError, lockDataDir } from '../../src/storage/data-dir-lock.ts';
import { openStore } from '../../src/storage/open-store.ts';

function folder(): string {
  return join(mkdtempSync(join(tmpdir(), 'vf-lock-')), 'pglite');
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second lock on the same folder is refused and names the holder; released, it can be taken again', (t) => {
  const dir = folder();
  const lock = lockDataDir(dir);
  t.true(existsSync(`${dir}.lock`), 'the lock sits beside the folder, not in it');
  t.deepEqual(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid);
  const error = t.throws(() => lockDataDir(dir), { instanceOf: DataDirInUseError });
  t.is(error?.holder.pid, process.pid);
  t.regex(error?.message ?? '', /in use by process \d+ since .*VF_DATA_DIR.*delete .*pglite\.lock/);
  lock.release();
  lock.release();
  t.false(existsSync(lock.file));
  lockDataDir(`${dir}/`).release(); // the same folder, spelled with a trailing slash
});

test('a lock left by a process that has ended is taken over', (t) => {
  const dir = folder();
  writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
  const lock = lockDataDir(dir);
  t.is(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid);
  lock.release();
});

test("a lock naming this process's pid that it did not take is an earlier process's (a container's pid 1): taken over", (t) => {
  const dir = folder();
  writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
  const lock = lockDataDir(dir);
  t.not(JSON.parse(readFileSync(lock.file, 'utf8')).since, '2026-01-01T00:00:00.000Z');
  t.throws(() => lockDataDir(dir), { instanceOf: DataDirInUseError }, 'but one it holds is refused');
  lock.release();
});

test('a lock that is not one this code writes (torn, garbage) is taken over', (t) => {
  const dir = folder();
  writeFileSync(`${dir}.lock`, '{"pid":');
  const lock = lockDataDir(dir);
  t.is(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid);
  lock.release();
});

test("a live holder is never taken over, however old its lock; another host's lock is refused too", (t) => {
  const dir = folder();
  // pid 1 is alive on every Unix host (EPERM for us counts as alive).
  writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 1, host: hostname(), since: '2000-01-01T00:00:00.000Z' }));
  t.is(t.throws(() => lockDataDir(dir), { instanceOf: DataDirInUseError })?.holder.pid, 1);
  writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid(), host: 'elsewhere', since: '2026-01-01T00:00:00.000Z' }));
  t.regex(t.throws(() => lockDataDir(dir), { instanceOf: DataDirInUseError })?.message ?? '', /on host elsewhere/);
});

test('a PGlite store holds its folder until closed: a second open is refused', async (t) => {
  const dir = folder();
  const first = await openStore({ VF_DATA_DIR: dir, DATABASE_URL: '' });
  await t.throwsAsync(openStore({ VF_DATA_DIR: dir, DATABASE_URL: '' }), { instanceOf: DataDirInUseError });
  await first.close();
  t.false(existsSync(`${dir}.lock`));
  const again = await openStore({ VF_DATA_DIR: dir, DATABASE_URL: '' });
  await again.close();
});
