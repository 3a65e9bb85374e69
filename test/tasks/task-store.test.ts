// The tasks table on PGlite (in a temporary folder) and on the real PostgreSQL, with the same SQL:
// batches land whole or not at all, stale and disallowed writes are refused, open tasks load in
// pages, lists filter by state and parent.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../src/storage/migrate.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient } from '../../src/storage/sql.ts';
import { queuedRecord } from '../../src/tasks/new-task.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';
import { newTaskId } from '../../src/tasks/task-id.ts';
import { StaleTaskWriteError, TaskStore } from '../../src/tasks/task-store.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';

const DEFAULTS = { swarm: 'default', deadlineMs: 60_000, maxAttempts: 3 };

function task(n: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const base = queuedRecord({ description: `task ${n}`, capability: 'link', priority: n % 3 }, DEFAULTS, {
    id: newTaskId(),
    parentId: undefined,
    submittedBy: 'alice',
    now: 1_000 + n,
  });
  return { ...base, ...overrides };
}

async function exercise(t: ExecutionContext, db: SqlClient): Promise<void> {
  const store = new TaskStore(db);
  const a = task(1, { input: '{"x":"ünïcode"}' });
  await store.insert(a);
  t.deepEqual(await store.get(a.id), { task: a, revision: 1 }, 'every field round-trips');
  t.is(await store.get('t-missing'), undefined);

  const assigned: TaskRecord = {
    ...a,
    state: 'assigned',
    attempts: 1,
    agentId: 'agent-1',
    leaseUntil: 1_700_000_000_123,
    updatedMs: 2_000,
  };
  await store.apply([{ task: assigned, expectedRevision: 1 }]);
  t.deepEqual(await store.get(a.id), { task: assigned, revision: 2 });

  // A write decided on revision 1 again is stale: refused, and the batch with it rolls back.
  const b = task(2);
  const err = await t.throwsAsync(
    store.apply([
      { task: b, expectedRevision: 0 },
      { task: { ...a, state: 'cancelled' }, expectedRevision: 1 },
    ]),
    { instanceOf: StaleTaskWriteError },
  );
  t.deepEqual(err?.taskIds, [a.id]);
  t.is(await store.get(b.id), undefined, 'the insert of the failed batch rolled back');

  // A move task.ts does not allow (assigned -> queued is allowed; done -> running is not).
  const done: TaskRecord = { ...assigned, state: 'done', result: 'ok', agentId: undefined, leaseUntil: undefined };
  await store.apply([{ task: done, expectedRevision: 2 }]);
  await t.throwsAsync(store.apply([{ task: { ...done, state: 'running' }, expectedRevision: 3 }]), { instanceOf: StaleTaskWriteError });
  // One write may stand for several moves made between two commits: running, queued again (its
  // deadline missed), assigned to another agent; or queued, assigned, failed.
  const again = task(7, { state: 'running', attempts: 1, agentId: 'agent-1' });
  await store.insert(again);
  await store.apply([{ task: { ...again, state: 'assigned', attempts: 2, agentId: 'agent-2' }, expectedRevision: 1 }]);
  t.like((await store.get(again.id))?.task, { state: 'assigned', attempts: 2, agentId: 'agent-2' });
  await store.apply([{ task: { ...again, state: 'cancelled', agentId: undefined }, expectedRevision: 2 }]);
  const quick = task(6);
  await store.insert(quick);
  await store.apply([{ task: { ...quick, state: 'failed', attempts: 1, errors: ['no'] }, expectedRevision: 1 }]);
  t.is((await store.get(quick.id))?.task.state, 'failed');

  // A parent's plan: subtasks and the parent's update in one transaction.
  const parent = task(3, { state: 'running', recipe: 'link-pages', capability: '' });
  await store.insert(parent);
  const subs = [task(4, { parentId: parent.id }), task(5, { parentId: parent.id, errors: ['one', 'two'] })];
  await store.insertSubtasks({ ...parent, subtasks: subs.map((s) => s.id) }, 1, subs);
  t.deepEqual(
    (await store.get(parent.id))?.task.subtasks,
    subs.map((s) => s.id),
  );
  t.deepEqual((await store.list({ parentId: parent.id, limit: 10 })).map((s) => s.task.id).sort(), subs.map((s) => s.id).sort());
  t.deepEqual((await store.get(subs[1]!.id))?.task.errors, ['one', 'two']);

  // Open tasks in pages.
  const many = Array.from({ length: 25 }, (_, i) => task(10 + i));
  await store.apply(many.map((x) => ({ task: x, expectedRevision: 0 })));
  const seen: string[] = [];
  for (let after = '', i = 0; i < 100; i++) {
    const page = await store.loadOpen(after, 7);
    if (page.length === 0) break;
    seen.push(...page.map((p) => p.task.id));
    after = page.at(-1)!.task.id;
  }
  const open = [parent, ...subs, ...many].map((x) => x.id).sort();
  t.deepEqual(seen, open, 'every open task once, the done one not');

  const finals = await store.list({ states: ['done'], limit: 10 });
  t.deepEqual(
    finals.map((f) => f.task.id),
    [a.id],
  );
  t.is((await store.list({ limit: 5 })).length, 5);
  t.is((await store.list({ states: ['queued', 'running'], limit: 100 })).length, 28);
}

test('PGlite in a temporary folder: the tasks table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vf-tasks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = await pgliteClient(dir);
  t.teardown(() => db.close());
  await migrate(db);
  await exercise(t, db);
});

test('PostgreSQL: the same, with the same SQL', async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_tasks');
  const db = pgClient(url);
  t.teardown(() => db.close());
  await migrate(db);
  await exercise(t, db);
});
