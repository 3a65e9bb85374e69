// The store's writer lock, on a real PostgreSQL server: one journal writer per database, and a
// node that opens the store right after a crash waits for the dead writer's last statement, which
// the server runs to its end and commits although its client is gone. A wait for this process's
// own previous writer connection is not taken for another process's: the journal ends that
// backend and carries on, and graph writes resume with one writer connection and no restart.
import test from 'ava';
import { spawn } from 'node:child_process';
import { JournalError } from '../../src/storage/group-commit.ts';
import { openStore, openStoreOn } from '../../src/storage/open-store.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { StoreInUseError } from '../../src/storage/writer-lock.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';

test('a second writer on the same store waits, then gets a clear error naming the holder', async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_lock');
  const first = await openStore({ DATABASE_URL: url });
  const heard: string[] = [];
  const error = await t.throwsAsync(
    openStore({ DATABASE_URL: url }, { groupCommit: { writerWaitMs: 300 }, onWriterWait: (h) => heard.push(h) }),
    { instanceOf: StoreInUseError },
  );
  t.regex(error!.message, /visionflow-journal/);
  t.is(heard.length, 1, 'told once that it waits');
  await first.close();
  const second = await openStore({ DATABASE_URL: url }, { groupCommit: { writerWaitMs: 5_000 } });
  t.false(second.journal.open([0], 1) instanceof JournalError, 'the lock is free once the first store closes');
  await second.close();
});

test("opening the store right after a crash waits for the dead writer's last commit, then carries on after it", async (t) => {
  t.timeout(60_000);
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_fence');
  const db = pgClient(url, 2);
  t.teardown(() => db.close());
  await (await openStore({ DATABASE_URL: url })).close(); // migrates
  // Every group commit sleeps 2 s inside its statement while `slow` holds a row: a kill lands mid-statement.
  await db.exec(`
    CREATE TABLE slow (on_ boolean);
    INSERT INTO slow VALUES (true);
    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF EXISTS (SELECT 1 FROM slow) THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END $$;
    CREATE TRIGGER slow_commit AFTER INSERT ON graph_events FOR EACH STATEMENT EXECUTE FUNCTION slow_commit();`);

  const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/journal-writer.ts'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const acked = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /ack (\d+)/.exec(d.toString());
      // The next unit's statement is sleeping now: kill the writer in the middle of it.
      if (m !== null) setTimeout(() => (child.kill('SIGKILL'), resolve(Number(m[1]))), 300);
    });
    child.on('exit', (code, signal) => signal === 'SIGKILL' || reject(new Error(`writer exited (${code}): ${stderr}`)));
  });
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  await db.query('DELETE FROM slow');

  let waited = false;
  const store = await openStore({ DATABASE_URL: url }, { onWriterWait: () => (waited = true) });
  t.teardown(() => store.close());
  t.true(waited, "the dead writer's backend still held the lock: its statement was running");
  const units = (await db.query('SELECT unit FROM graph_events ORDER BY seq')).map((r) => asNumber(r.unit));
  t.deepEqual(units, [acked, acked + 1], 'the unacknowledged unit the server was running committed before the store opened');

  // Without the wait, this node would have read the journal's end before that commit and reused its numbers.
  const ticket = store.journal.open([0], 1);
  if (ticket instanceof JournalError) return t.fail(ticket.message);
  store.journal.submit(ticket, 0, [{ kind: 1, entity: 99, payload: new Uint8Array([9]) }]);
  t.is((await ticket.done).unit, acked + 2);
  t.is(asNumber((await db.query('SELECT count(*) AS n FROM graph_events'))[0]!.n), 3);
});

test("a lock wait tells this process's own previous writer connection (ended at once) from another process's (waited for, then refused)", async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_own');
  const db = pgClient(url, 2);
  t.teardown(() => db.close());
  const first = await db.writerSession({ waitMs: 1_000 });
  t.teardown(() => first.close().catch(() => undefined));
  t.true(Number.isInteger(first.backendPid));

  const heard: string[] = [];
  const other = await t.throwsAsync(db.writerSession({ waitMs: 300, onWait: (h) => heard.push(h) }), { instanceOf: StoreInUseError });
  t.regex(heard[0] ?? '', /^another process: backend pid \d+ of visionflow-journal/);
  t.regex(other!.message, /another process writes this store/);

  const started = Date.now();
  const second = await db.writerSession({ waitMs: 30_000, previousBackend: first.backendPid!, onWait: (h) => heard.push(h) });
  t.teardown(() => second.close());
  t.true(Date.now() - started < 10_000, 'not a 30 s wait for a connection of its own');
  t.regex(heard[1] ?? '', new RegExp(`^this process's own previous journal connection \\(backend pid ${first.backendPid}`));
  t.is(
    (await db.query('SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1', [first.backendPid])).map((r) => asNumber(r.n))[0],
    0,
    'the old backend is gone',
  );
});

test('the journal replaces a broken writer connection itself: graph writes resume, no graph actor restarts, one journal connection stays', async (t) => {
  t.timeout(120_000);
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_rewrite');
  const waits: string[] = [];
  const store = await openStoreOn(pgClient(url), url, { onWriterWait: (h) => waits.push(h) });
  t.teardown(() => store.close());
  const admin = pgClient(url, 1);
  t.teardown(() => admin.close());
  const g = await startGraph(store, { shards: 4 }, t);
  const failures: string[] = [];
  g.system.events.subscribe((e) => {
    if (e.type === 'actor-failed') failures.push(e.path);
  });
  await g.update({ op: 'batch', ops: Array.from({ length: 40 }, (_, id) => ({ op: 'add-node', node: { id } })) });
  const results: { at: number; ok: boolean; message: string }[] = [];
  const end = Date.now() + 4_000;
  let killedAt = 0;
  const writers = Array.from({ length: 6 }, async (_, w) => {
    for (let n = 0; Date.now() < end; n++) {
      const at = Date.now();
      const ack = await g.update({ op: 'update-node', id: (w * 7 + n) % 40, patch: { title: `t${n}` } });
      results.push({ at, ok: ack.ok, message: ack.ok ? '' : ack.error.message });
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  killedAt = Date.now();
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'visionflow-journal' AND datname = current_database()",
  );
  await Promise.all(writers);
  const late = results.filter((r) => r.at >= killedAt + 2_000);
  t.true(
    late.length > 0 && late.every((r) => r.ok),
    `writes from 2 s after the connection broke: ${late.filter((r) => r.ok).length}/${late.length} ok; ${late.find((r) => !r.ok)?.message ?? ''}`,
  );
  t.deepEqual(failures, [], 'no graph actor failed');
  t.false(
    waits.some((w) => w.startsWith('another process')),
    `no wait for "another process": ${waits.join('; ')}`,
  );
  const [row] = await admin.query(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'visionflow-journal' AND datname = current_database()",
  );
  t.is(asNumber(row!.n), 1, 'one journal writer connection');
});
