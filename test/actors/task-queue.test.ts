// The task queue in-process on PGlite, with a recording swarm: the lease lifecycle, the fence
// against stale reports, deadlines, lost agents, attempts running out, cancellation, validation.
import test, { type ExecutionContext } from 'ava';
import { migrate } from '../../src/storage/migrate.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient } from '../../src/storage/sql.ts';
import type { HeldLeases, Leased, TaskReply } from '../../src/actors/task-messages.ts';
import { TaskStore } from '../../src/tasks/task-store.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { ADMIN, EDITOR, EPOCH, ok, startPipeline, type PipelineOptions } from '../tasks/pipeline.ts';

// One database for the file, emptied before each test (they run one at a time): a PGlite is heavy
// to start, and each test's queue loads every open task it finds.
let shared: Promise<SqlClient> | undefined;
test.after.always(async () => (await shared)?.close());

async function freshDb(): Promise<SqlClient> {
  shared ??= pgliteClient().then(async (db) => (await migrate(db), db));
  const db = await shared;
  await db.exec('TRUNCATE tasks');
  return db;
}

async function setup(t: ExecutionContext, o: Partial<PipelineOptions> = {}) {
  const db = await freshDb();
  const p = startPipeline(t, { db, ...o });
  return { ...p, db, store: new TaskStore(db) };
}

function leased(reply: unknown): Leased {
  const r = reply as Leased;
  if (r.type !== 'leased') throw new Error(`expected a lease, got ${JSON.stringify(reply)}`);
  return r;
}

test.serial('submit -> lease -> progress -> complete: persisted before answered, events in order', async (t) => {
  const p = await setup(t);
  const task = ok(await p.submit({ description: 'link two pages', capability: 'link', priority: 7 }));
  t.regex(task.id, /^t-/);
  t.is(task.state, 'queued');
  t.is(task.submittedBy, 'alice');
  t.is((await p.store.get(task.id))?.task.state, 'queued', 'durable before the answer');
  t.true(p.swarmSeen.some((m) => m.type === 'work-available' && m.capabilities.includes('link')));

  t.deepEqual(await p.lease('agent-x', ['summarise']), { type: 'no-work', agentId: 'agent-x' }, 'no task for its capabilities');
  const l = leased(await p.lease('agent-1', ['summarise', 'link']));
  t.is(l.attempt, 1);
  t.is(l.leaseUntil, EPOCH + 60_000);
  t.is(l.task.state, 'assigned');
  t.deepEqual(await p.lease('agent-2', ['link']), { type: 'no-work', agentId: 'agent-2' }, 'never leased twice');

  p.queue.tell({ type: 'progress', taskId: task.id, agentId: 'agent-1', attempt: 1, progress: 0.5, partial: 'half' });
  await p.barrier();
  t.is((await p.store.get(task.id))?.task.state, 'running');
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-1', attempt: 1, success: true, result: 'linked' });
  await p.barrier();
  const done = ok(await p.get(task.id));
  t.is(done.state, 'done');
  t.is(done.result, 'linked');
  t.is(done.agentId, 'agent-1', 'a done task names the agent that did it');
  t.deepEqual(
    p.events.filter((e) => e.task.id === task.id).map((e) => e.task.state),
    ['queued', 'assigned', 'running', 'done'],
  );
  // A second completion of the same attempt is stale: done exactly once.
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-1', attempt: 1, success: false, result: 'late' });
  await p.barrier();
  t.is(ok(await p.get(task.id)).result, 'linked');
  t.is(p.queueFactory.probe.staleReports(), 1);
});

test.serial('best task first: priority, then age; per swarm', async (t) => {
  const p = await setup(t);
  const low = ok(await p.submit({ description: 'low', capability: 'link', priority: 1 }));
  await p.ts.advance(10);
  const high = ok(await p.submit({ description: 'high', capability: 'link', priority: 9 }));
  await p.ts.advance(10);
  const high2 = ok(await p.submit({ description: 'high later', capability: 'link', priority: 9 }));
  const other = ok(await p.submit({ description: 'elsewhere', capability: 'link', priority: 255, swarm: 'blue' }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push(leased(await p.lease(`a${i}`, ['link'])).task.id);
  t.deepEqual(order, [high.id, high2.id, low.id]);
  t.is(leased(await p.lease('b', ['link'], 'blue')).task.id, other.id);
});

test.serial('stale reports (wrong agent or attempt) are ignored and counted', async (t) => {
  const p = await setup(t);
  const task = ok(await p.submit({ description: 'x', capability: 'link' }));
  leased(await p.lease('agent-1', ['link']));
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-2', attempt: 1, success: true, result: 'wrong agent' });
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-1', attempt: 2, success: true, result: 'wrong attempt' });
  p.queue.tell({ type: 'progress', taskId: task.id, agentId: 'agent-1', attempt: 0, progress: 1, partial: '' });
  p.queue.tell({ type: 'agent-error', taskId: 't-nope', agentId: 'agent-1', attempt: 1, message: 'x', recoverable: false });
  await p.barrier();
  t.is(ok(await p.get(task.id)).state, 'assigned');
  t.is(p.queueFactory.probe.staleReports(), 4);
});

test.serial('deadline missed: revoked, requeued with the reason, a second agent completes; the first one is stale', async (t) => {
  const p = await setup(t);
  const task = ok(await p.submit({ description: 'slow', capability: 'link', deadlineMs: 5_000 }));
  const first = leased(await p.lease('agent-1', ['link']));
  t.is(first.leaseUntil, EPOCH + 5_000);
  await p.ts.advance(4_999);
  await p.barrier();
  t.is(ok(await p.get(task.id)).state, 'assigned', 'not before its deadline');
  await p.ts.advance(1);
  await p.barrier();
  t.true(
    p.swarmSeen.some(
      (m) => m.type === 'revoke' && m.taskId === task.id && m.agentId === 'agent-1' && m.attempt === 1 && m.reason === 'deadline missed',
    ),
  );
  const requeued = ok(await p.get(task.id));
  t.is(requeued.state, 'queued');
  t.deepEqual(requeued.errors, ['attempt 1: deadline missed']);
  const second = leased(await p.lease('agent-2', ['link']));
  t.is(second.attempt, 2);
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-1', attempt: 1, success: true, result: 'too late' });
  p.queue.tell({ type: 'completed', taskId: task.id, agentId: 'agent-2', attempt: 2, success: true, result: 'second' });
  await p.barrier();
  const done = ok(await p.get(task.id));
  t.is(done.state, 'done');
  t.is(done.result, 'second');
  t.is(done.attempts, 2);
});

test.serial('agent lost: its leases go back to the queue, the swarm hears of work; attempts used up fail with every reason', async (t) => {
  const p = await setup(t);
  const a = ok(await p.submit({ description: 'a', capability: 'link', maxAttempts: 2 }));
  const b = ok(await p.submit({ description: 'b', capability: 'link', maxAttempts: 1 }));
  leased(await p.lease('agent-1', ['link']));
  leased(await p.lease('agent-1', ['link']));
  const before = p.swarmSeen.length;
  p.queue.tell({ type: 'agent-lost', agentId: 'agent-1', reason: 'connection closed' });
  await p.barrier();
  t.is(ok(await p.get(a.id)).state, 'queued');
  const failedB = ok(await p.get(b.id));
  t.is(failedB.state, 'failed');
  t.deepEqual(failedB.errors, ['attempt 1: agent lost: connection closed', 'gave up after 1 attempts']);
  t.true(p.swarmSeen.slice(before).some((m) => m.type === 'work-available'));

  // a: a recoverable error uses its last attempt, then fails with both reasons.
  const again = leased(await p.lease('agent-2', ['link']));
  t.is(again.task.id, a.id);
  p.queue.tell({ type: 'agent-error', taskId: a.id, agentId: 'agent-2', attempt: 2, message: 'rate limited', recoverable: true });
  await p.barrier();
  const failedA = ok(await p.get(a.id));
  t.is(failedA.state, 'failed');
  t.deepEqual(failedA.errors, ['attempt 1: agent lost: connection closed', 'attempt 2: rate limited', 'gave up after 2 attempts']);
});

test.serial('unrecoverable error and unsuccessful completion fail at once, with the reason', async (t) => {
  const p = await setup(t);
  const a = ok(await p.submit({ description: 'a', capability: 'link' }));
  const b = ok(await p.submit({ description: 'b', capability: 'link' }));
  leased(await p.lease('x', ['link']));
  leased(await p.lease('y', ['link']));
  p.queue.tell({ type: 'agent-error', taskId: a.id, agentId: 'x', attempt: 1, message: 'bad input', recoverable: false });
  p.queue.tell({ type: 'completed', taskId: b.id, agentId: 'y', attempt: 1, success: false, result: 'cannot link' });
  await p.barrier();
  t.deepEqual(ok(await p.get(a.id)).errors, ['attempt 1: bad input']);
  const fb = ok(await p.get(b.id));
  t.is(fb.state, 'failed');
  t.deepEqual(fb.errors, ['attempt 1: cannot link']);
});

test.serial('cancel: admin anything, an editor its own only; final is a conflict; leased ones are revoked', async (t) => {
  const p = await setup(t);
  const mine = ok(await p.submit({ description: 'mine', capability: 'link' }));
  const theirs = ok(await p.submit({ description: 'theirs', capability: 'link' }, { subject: 'bob', role: 'editor' }));
  leased(await p.lease('agent-1', ['link']));
  const cancel = (taskId: string, by: { subject: string; role: 'viewer' | 'editor' | 'agent' | 'admin' }) =>
    new Promise<TaskReply>((resolve) =>
      p.queue.tell({ type: 'cancel', taskId, by, reason: 'not needed', replyTo: { path: '/test/c', tell: resolve } }),
    );
  const forbidden = await cancel(theirs.id, EDITOR);
  t.like(forbidden, { ok: false, code: 'forbidden' });
  t.like(await cancel(mine.id, { subject: 'alice', role: 'viewer' }), { ok: false, code: 'forbidden' });
  const c1 = ok(await cancel(mine.id, EDITOR));
  t.is(c1.state, 'cancelled');
  t.deepEqual(c1.errors, ['cancelled by alice: not needed']);
  const c2 = ok(await cancel(theirs.id, ADMIN));
  t.is(c2.state, 'cancelled');
  t.true(p.swarmSeen.some((m) => m.type === 'revoke' && m.taskId === mine.id && m.reason === 'cancelled by alice: not needed'));
  t.like(await cancel(mine.id, ADMIN), { ok: false, code: 'conflict' });
  t.like(await cancel('t-unknown', ADMIN), { ok: false, code: 'not-found' });
  t.is((await p.store.get(mine.id))?.task.state, 'cancelled');
});

test.serial('submissions are checked: bad requests, forbidden, overloaded', async (t) => {
  const p = await setup(t, { queue: { maxOpenTasks: 2 } });
  const refusal = async (task: unknown, by?: { subject: string; role: 'viewer' }) => {
    const r = await p.submit(task as never, by);
    return r.ok ? 'ok' : r.code;
  };
  t.is(await refusal({ description: '  ', capability: 'link' }), 'bad-request');
  t.is(await refusal({ description: 'x' }), 'bad-request');
  t.is(await refusal({ description: 'x', recipe: 'no-such-recipe' }), 'bad-request');
  t.is(await refusal({ description: 'x', capability: 'link', priority: 256 }), 'bad-request');
  t.is(await refusal({ description: 'x', capability: 'link', maxAttempts: 101 }), 'bad-request');
  t.is(await refusal({ description: 'x'.repeat(70_000), capability: 'link' }), 'bad-request');
  t.is(await refusal({ description: 'x', capability: 'link', swarm: '../etc' }), 'bad-request');
  t.is(await refusal({ description: 'x', capability: 'link', extra: 1 }), 'bad-request');
  t.is(await refusal(null), 'bad-request');
  t.is(await refusal({ description: 'x', capability: 'link' }, { subject: 'v', role: 'viewer' }), 'forbidden');
  t.is(await refusal({ description: 'x', capability: 'link' }), 'ok');
  t.is(await refusal({ description: 'y', capability: 'link' }), 'ok');
  t.is(await refusal({ description: 'z', capability: 'link' }), 'overloaded');
  const listed = await p.list({ states: ['queued'], limit: 10 });
  t.true(listed.ok && listed.tasks.length === 2);
  t.like(await p.list({ states: ['bogus' as never], limit: 10 }), { ok: false, code: 'bad-request' });
  t.like(await p.get('t-nothing'), { ok: false, code: 'not-found' });
});

test.serial('on the real PostgreSQL: submit, lease, complete, and a second queue on the same database resumes', async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_taskq');
  const db = pgClient(url);
  t.teardown(() => db.close());
  await migrate(db);
  const p = startPipeline(t, { db });
  const a = ok(await p.submit({ description: 'a', capability: 'link' }));
  const b = ok(await p.submit({ description: 'b', capability: 'link', deadlineMs: 8_000 }));
  leased(await p.lease('agent-1', ['link']));
  const lb = leased(await p.lease('agent-2', ['link']));
  p.queue.tell({ type: 'completed', taskId: a.id, agentId: 'agent-1', attempt: 1, success: true, result: 'done on pg' });
  await p.barrier();
  await p.ts.system.terminate();

  const again = startPipeline(t, { db });
  t.is(ok(await again.get(a.id)).result, 'done on pg');
  const resumed = ok(await again.get(b.id));
  t.deepEqual([resumed.state, resumed.agentId, resumed.leaseUntil], ['assigned', 'agent-2', lb.leaseUntil]);
  again.queue.tell({ type: 'completed', taskId: b.id, agentId: 'agent-2', attempt: 1, success: true, result: 'resumed' });
  await again.barrier();
  t.is(ok(await again.get(b.id)).state, 'done');
});

test.serial('group commit: submissions that arrive together share transactions, each answered after its commit', async (t) => {
  const inner = await freshDb();
  let transactions = 0;
  const db: SqlClient = {
    ...inner,
    kind: inner.kind,
    query: inner.query.bind(inner),
    exec: inner.exec.bind(inner),
    close: async () => undefined,
    writerSession: inner.writerSession.bind(inner),
    transaction: (fn) => (transactions++, inner.transaction(fn)),
  };
  const p = startPipeline(t, { db });
  await p.barrier();
  const store = new TaskStore(inner);
  const answered: Promise<boolean>[] = [];
  const replies = await new Promise<TaskReply[]>((resolve) => {
    const got: TaskReply[] = [];
    for (let i = 0; i < 50; i++)
      p.queue.tell({
        type: 'submit',
        task: { description: `t${i}`, capability: 'link' },
        by: EDITOR,
        replyTo: {
          path: '/test/g',
          tell: (r) => {
            // Durable when answered: the row is there.
            if (r.ok) answered.push(store.get(r.task.id).then((row) => row !== undefined));
            got.push(r);
            if (got.length === 50) resolve(got);
          },
        },
      });
  });
  t.true(replies.every((r) => r.ok));
  t.true((await Promise.all(answered)).every(Boolean));
  t.true(transactions < 50, `${transactions} transactions for 50 submissions`);
});

test.serial(
  'held-leases: a queue that restarted tells a swarm the attempts it restored for an agent, and takes their reports',
  async (t) => {
    const db = await freshDb();
    const p = startPipeline(t, { db });
    const a = ok(await p.submit({ description: 'a', capability: 'link' }));
    const b = ok(await p.submit({ description: 'b', capability: 'link' }));
    ok(await p.submit({ description: 'queued', capability: 'link', swarm: 'other' }));
    const la = leased(await p.lease('agent-1', ['link']));
    leased(await p.lease('agent-2', ['link']));
    await p.barrier();
    await p.ts.system.terminate();

    // As after a node restart: a new queue on the same store, asked by a swarm that admits agent-1 anew.
    const again = startPipeline(t, { db });
    await again.barrier();
    const held = (swarm: string, agentId: string): Promise<HeldLeases> =>
      new Promise((resolve) => again.queue.tell({ type: 'held-leases', swarm, agentId, replyTo: { path: '/test/held', tell: resolve } }));
    const mine = await held('default', 'agent-1');
    t.deepEqual(
      mine.leases.map((l) => [l.task.id, l.attempt, l.agentId, l.leaseUntil]),
      [[a.id, 1, 'agent-1', la.leaseUntil]],
    );
    t.deepEqual((await held('other', 'agent-1')).leases, [], 'per swarm');
    t.deepEqual((await held('default', 'agent-9')).leases, [], 'none for an agent that holds none');
    again.queue.tell({ type: 'completed', taskId: a.id, agentId: 'agent-1', attempt: 1, success: true, result: 'after the restart' });
    await again.barrier();
    t.like(ok(await again.get(a.id)), { state: 'done', attempts: 1, result: 'after the restart' });
    t.like(ok(await again.get(b.id)), { state: 'assigned', agentId: 'agent-2' });
  },
);
