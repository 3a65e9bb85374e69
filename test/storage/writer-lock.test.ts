// The store's writer lock, on a real PostgreSQL server: one journal writer per database, and a
// node that opens the store right after a crash waits for the dead writer's last statement, which
// the server runs to its end and commits although its client is gone.
import test from 'ava';
import { spawn } from 'node:child_process';
import { JournalError } from '../../src/storage/group-commit.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { StoreInUseError } from '../../src/storage/writer-lock.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';

test('a second writer on the same store waits, then gets a clear error naming the holder', async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_lock');
  const first = await openStore({ DATABASE_URL: url });
  const heard: string[] = [];
  const error = await t.throwsAsync(openStore({ DATABASE_URL: url }, { groupCommit: { writerWaitMs: 300 }, onWriterWait: (h) => heard.push(h) }), { instanceOf: StoreInUseError });
  t.regex(error!.message, /visionflow-journal/);
  t.is(heard.length, 1, 'told once that it waits');
  await first.close();
  const second = await openStore({ DATABASE_URL: url }, { groupCommit: { writerWaitMs: 5_000 } });
  t.false(second.journal.open([0], 1) instanceof JournalError, 'the lock is free once the first store closes');
  await second.close();
});

test('opening the store right after a crash waits for the dead writer\'s last commit, then carries on after it', async (t) => {
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

  const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/journal-writer.ts'], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  t.true(waited, 'the dead writer\'s backend still held the lock: its statement was running');
  const units = (await db.query('SELECT unit FROM graph_events ORDER BY seq')).map((r) => asNumber(r.unit));
  t.deepEqual(units, [acked, acked + 1], 'the unacknowledged unit the server was running committed before the store opened');

  // Without the wait, this node would have read the journal's end before that commit and reused its numbers.
  const ticket = store.journal.open([0], 1);
  if (ticket instanceof JournalError) return t.fail(ticket.message);
  store.journal.submit(ticket, 0, [{ kind: 1, entity: 99, payload: new Uint8Array([9]) }]);
  t.is((await ticket.done).unit, acked + 2);
  t.is(asNumber((await db.query('SELECT count(*) AS n FROM graph_events'))[0]!.n), 3);
});
