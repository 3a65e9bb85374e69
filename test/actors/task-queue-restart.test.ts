// Nothing acknowledged lives only in memory: stop the whole actor system mid-pipeline, open a new
// one on the same store (PGlite in a folder, closed and reopened), and the tasks are all there,
// leases go on with the time they had left, a plan that was never answered is asked for again,
// and nothing is done twice. A failed commit answers `unavailable` and the queue reloads.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Leased } from '../../src/actors/task-messages.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient, SqlQueryable, SqlRow } from '../../src/storage/sql.ts';
import { TaskStore } from '../../src/tasks/task-store.ts';
import { pollUntil } from '../helpers/poll.ts';
import { testSystem } from '../helpers/system.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { EPOCH, ok, PAGES, startPipeline } from '../tasks/pipeline.ts';

const LENIENT = Strategies.oneForOne({ backoff: IMMEDIATE, intensity: { maxRestarts: 10_000, withinMs: 1_000 } });

test('a new system on the same store takes every task up where the old one stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vf-tasks-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // ---- the first system: leases out, one task done, a plan the planner never answers
  const db1 = await pgliteClient(dir);
  await migrate(db1);
  const ts1 = testSystem(t, { rootStrategy: LENIENT });
  const p1 = startPipeline(t, { db: db1, ts: ts1, pages: () => new Promise(() => undefined) });
  const a = ok(await p1.submit({ description: 'a', capability: 'link', deadlineMs: 10_000 }));
  const b = ok(await p1.submit({ description: 'b', capability: 'link', deadlineMs: 10_000 }));
  const c = ok(await p1.submit({ description: 'c', capability: 'link' }));
  const parent = ok(await p1.submit({ description: 'plan me', recipe: 'link-pages' }));
  const la = (await p1.lease('agent-a', ['link'])) as Leased;
  const lb = (await p1.lease('agent-b', ['link'])) as Leased;
  const lc = (await p1.lease('agent-c', ['link'])) as Leased;
  t.deepEqual([la.task.id, lb.task.id, lc.task.id], [a.id, b.id, c.id]);
  await p1.ts.advance(4_000);
  p1.queue.tell({ type: 'completed', taskId: c.id, agentId: 'agent-c', attempt: 1, success: true, result: 'c done' });
  await p1.barrier();
  t.is(p1.latest().get(parent.id)?.subtasks.length, 0, 'the plan is still out');
  await ts1.system.terminate();
  await db1.close();

  // ---- the second system, 4 s later on the wall clock, on the reopened folder
  const db2 = await pgliteClient(dir);
  t.teardown(() => db2.close());
  const p2 = startPipeline(t, { db: db2, wallOffset: 4_000 });
  const all = await p2.list({ limit: 100 });
  t.true(all.ok && all.tasks.length === 4, 'every task is there');
  t.is(ok(await p2.get(a.id)).agentId, 'agent-a');
  t.is(ok(await p2.get(c.id)).state, 'done');

  // The planner of the new system is asked again, and answers.
  const planned = await pollUntil(
    async () => {
      await p2.barrier();
      const task = ok(await p2.get(parent.id));
      return task.subtasks.length > 0 ? task : undefined;
    },
    { limitMs: 20_000, what: 'the plan asked for again' },
  );
  t.is(planned.subtasks.length, Math.ceil(PAGES.length / 20));

  // agent-a reports within its lease (which has 6 s left): accepted.
  await p2.ts.advance(2_000);
  p2.queue.tell({ type: 'completed', taskId: a.id, agentId: 'agent-a', attempt: 1, success: true, result: 'a done' });
  await p2.barrier();
  t.is(ok(await p2.get(a.id)).state, 'done');
  // agent-b never does: its lease runs out at the original deadline, 10 s after it was leased.
  await p2.ts.advance(3_999);
  await p2.barrier();
  t.is(ok(await p2.get(b.id)).state, 'assigned');
  await p2.ts.advance(1);
  await p2.barrier();
  const requeued = ok(await p2.get(b.id));
  t.is(requeued.state, 'queued');
  t.deepEqual(requeued.errors, ['attempt 1: deadline missed']);
  t.true(p2.swarmSeen.some((m) => m.type === 'revoke' && m.taskId === b.id));
  // c stays done: no second completion, no event for it in the new system.
  p2.queue.tell({ type: 'completed', taskId: c.id, agentId: 'agent-c', attempt: 1, success: true, result: 'again' });
  await p2.barrier();
  t.is(ok(await p2.get(c.id)).result, 'c done');
  t.false(p2.events.some((e) => e.task.id === c.id));
  t.is(new TaskStore(db2) instanceof TaskStore, true);
  t.is(la.leaseUntil, EPOCH + 10_000);
});

/** A client whose next `failures` writes (transactions and writing statements) fail, as a database that went away would. */
function flaky(db: SqlClient): SqlClient & { failures: number } {
  const wrapper = {
    ...db,
    failures: 0,
    kind: db.kind,
    query: async <R extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]): Promise<R[]> => {
      if (wrapper.failures > 0 && /^\s*(WITH ins|INSERT|UPDATE)/.test(text)) {
        wrapper.failures--;
        throw new Error('connection lost');
      }
      return db.query<R>(text, params);
    },
    exec: db.exec.bind(db),
    close: db.close.bind(db),
    writerSession: db.writerSession.bind(db),
    transaction: async <T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> => {
      if (wrapper.failures > 0) {
        wrapper.failures--;
        throw new Error('connection lost');
      }
      return db.transaction(fn);
    },
  };
  return wrapper;
}

test('a failed commit answers unavailable; the queue restarts from the store and goes on', async (t) => {
  const inner = await pgliteClient();
  t.teardown(() => inner.close());
  await migrate(inner);
  const db = flaky(inner);
  const p = startPipeline(t, { db });
  const first = ok(await p.submit({ description: 'kept', capability: 'link' }));
  db.failures = 1;
  const refused = await p.submit({ description: 'lost', capability: 'link' });
  t.like(refused, { ok: false, code: 'unavailable' });
  const after = ok(await p.submit({ description: 'after', capability: 'link' }));
  const listed = await p.list({ limit: 10 });
  t.true(listed.ok);
  if (listed.ok)
    t.deepEqual(listed.tasks.map((x) => x.description).sort(), ['after', 'kept'], 'the refused one is nowhere, the others are there');
  const l = (await p.lease('agent-1', ['link'])) as Leased;
  t.is(l.task.id, first.id, 'the reloaded queue leases the oldest first');
  t.not(after.id, first.id);
});
