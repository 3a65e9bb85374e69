// Recipes end to end: the queue asks the planner, the subtasks go to a swarm whose agents do them,
// the planner aggregates, the parent ends done or failed; plan-with-agent, where an agent plans;
// cancelling a parent takes its subtasks along.
import test, { type ExecutionContext } from 'ava';
import { migrate } from '../../src/storage/migrate.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient } from '../../src/storage/sql.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';
import type { Leased, TaskReply } from '../../src/actors/task-messages.ts';
import { ADMIN, ok, startPipeline, type PipelineOptions, type Pipeline } from '../tasks/pipeline.ts';
import { pollUntil } from '../helpers/poll.ts';

// One database for the file, emptied before each test (they run one at a time).
let shared: Promise<SqlClient> | undefined;
test.after.always(async () => (await shared)?.close());

async function setup(t: ExecutionContext, o: Partial<PipelineOptions> = {}): Promise<Pipeline> {
  shared ??= pgliteClient().then(async (db) => (await migrate(db), db));
  const db = await shared;
  await db.exec('TRUNCATE tasks');
  return startPipeline(t, { db, ...o });
}

/** Waits (moving the virtual clock a little each time, for the swarm's retries) until the task is final. */
async function finalOf(p: Pipeline, id: string): Promise<TaskRecord> {
  return pollUntil(
    async () => {
      await p.ts.advance(100);
      const task = p.latest().get(id);
      return task !== undefined && ['done', 'failed', 'cancelled'].includes(task.state) ? task : undefined;
    },
    { limitMs: 30_000, what: `task ${id} final` },
  );
}

interface Aggregated {
  subtasks: { id: string; state: string; result: string | null; reason?: string }[];
  done: number;
  failed: number;
}

test.serial('link-pages: the pages in batches of 20, each done by an agent, aggregated into the parent', async (t) => {
  const p = await setup(t, { swarm: { agents: 2 } });
  const parent = ok(await p.submit({ description: 'link the wiki', recipe: 'link-pages' }));
  t.is(parent.state, 'queued', 'answered as queued');
  t.is(parent.capability, '');
  const done = await finalOf(p, parent.id);
  t.is(done.state, 'done');
  t.is(done.subtasks.length, 3, '45 pages in batches of 20');
  const result = JSON.parse(done.result!) as Aggregated;
  t.is(result.done, 3);
  t.is(result.failed, 0);
  t.deepEqual(
    result.subtasks.map((s) => s.id),
    done.subtasks,
  );
  const subs = done.subtasks.map((id) => p.latest().get(id)!);
  t.deepEqual(
    subs.map((s) => JSON.parse(s.input) as { pages: number[] }).map((i) => i.pages.length),
    [20, 20, 5],
  );
  t.true(subs.every((s) => s.capability === 'link' && s.parentId === parent.id && s.submittedBy === 'alice' && s.state === 'done'));
  t.deepEqual(
    p.events.filter((e) => e.task.id === parent.id).map((e) => e.task.state),
    ['queued', 'running', 'running', 'done'],
  );
});

test.serial('summarise-pages with chosen pages and batch; a failed subtask fails the parent with its reason', async (t) => {
  const p = await setup(t, {
    swarm: {
      agents: 1,
      work: (task) => (task.input.includes('3') ? { success: false, result: 'page 3 is empty' } : { success: true, result: 'summary' }),
    },
  });
  const parent = ok(await p.submit({ description: 'sum', recipe: 'summarise-pages', input: '{"pages":[1,2,3],"batch":2}' }));
  const final = await finalOf(p, parent.id);
  t.is(final.state, 'failed');
  const result = JSON.parse(final.result!) as Aggregated;
  t.is(result.done, 1);
  t.is(result.failed, 1);
  const failed = result.subtasks.find((s) => s.state === 'failed');
  t.is(failed?.reason, 'attempt 1: page 3 is empty');
  t.deepEqual(final.errors, ['some subtasks did not succeed']);
});

test.serial('curate: one subtask with the input passed through; a bad page input fails the plan saying why', async (t) => {
  const p = await setup(t, { swarm: { agents: 1 } });
  const parent = ok(await p.submit({ description: 'tidy', recipe: 'curate', input: '{"tags":["a"]}' }));
  const final = await finalOf(p, parent.id);
  t.is(final.state, 'done');
  t.is(final.subtasks.length, 1);
  const sub = p.latest().get(final.subtasks[0]!)!;
  t.is(sub.capability, 'curate');
  t.is(sub.input, '{"tags":["a"]}');

  const bad = ok(await p.submit({ description: 'bad', recipe: 'link-pages', input: '{"batch":0}' }));
  const failed = await finalOf(p, bad.id);
  t.is(failed.state, 'failed');
  t.regex(failed.errors[0]!, /^plan failed: input: batch/);
  const empty = ok(await p.submit({ description: 'none', recipe: 'link-pages', input: '{"pages":[]}' }));
  const nothing = await finalOf(p, empty.id);
  t.is(nothing.state, 'done', 'no pages: nothing to do');
  t.deepEqual(JSON.parse(nothing.result!), { subtasks: [], done: 0, failed: 0 });
});

test.serial('plan-with-agent: an agent plans, its plan becomes the subtasks; an invalid plan fails the task saying why', async (t) => {
  const plan = JSON.stringify([
    { description: 'echo one', capability: 'echo', input: '1' },
    { description: 'echo two', capability: 'echo', input: '2', priority: 5 },
  ]);
  const p = await setup(t, {
    swarm: {
      agents: 2,
      work: (task) =>
        task.capability === 'plan'
          ? { success: true, result: task.input === 'bad' ? '[{"description":"","capability":"echo"}]' : plan }
          : { success: true, result: `echoed ${task.input}` },
    },
  });
  const parent = ok(await p.submit({ description: 'figure it out', recipe: 'plan-with-agent', input: 'good', priority: 3 }));
  t.is(parent.capability, 'plan');
  const done = await finalOf(p, parent.id);
  t.is(done.state, 'done');
  t.is(done.subtasks.length, 2);
  const subs = done.subtasks.map((id) => p.latest().get(id)!);
  t.deepEqual(
    subs.map((s) => [s.capability, s.priority, s.result]),
    [
      ['echo', 3, 'echoed 1'],
      ['echo', 5, 'echoed 2'],
    ],
  );
  const bad = ok(await p.submit({ description: 'confused', recipe: 'plan-with-agent', input: 'bad' }));
  const failed = await finalOf(p, bad.id);
  t.is(failed.state, 'failed');
  t.regex(failed.errors.at(-1)!, /^plan failed: the agent's plan is invalid: subtask 0: description/);
});

test.serial('cancelling a parent cancels its open subtasks and revokes the leased ones', async (t) => {
  const p = await setup(t);
  const parent = ok(await p.submit({ description: 'link', recipe: 'link-pages' }));
  const planned = await pollUntil(
    async () => {
      await p.barrier();
      const task = p.latest().get(parent.id);
      return task !== undefined && task.subtasks.length === 3 ? task : undefined;
    },
    { limitMs: 20_000, what: 'the plan' },
  );
  const l = (await p.lease('agent-1', ['link'])) as Leased;
  t.is(l.type, 'leased');
  const reply = await new Promise<TaskReply>((resolve) =>
    p.queue.tell({ type: 'cancel', taskId: parent.id, by: ADMIN, reason: 'stop', replyTo: { path: '/test/c', tell: resolve } }),
  );
  t.is(ok(reply).state, 'cancelled');
  await p.barrier();
  for (const id of planned.subtasks) t.is(p.latest().get(id)?.state, 'cancelled');
  t.true(p.swarmSeen.some((m) => m.type === 'revoke' && m.taskId === l.task.id && m.attempt === 1));
  // The agent's late report is stale.
  p.queue.tell({ type: 'completed', taskId: l.task.id, agentId: 'agent-1', attempt: 1, success: true, result: 'late' });
  await p.barrier();
  t.is(ok(await p.get(l.task.id)).state, 'cancelled');
  const listed = await p.list({ parentId: parent.id, limit: 10 });
  t.true(listed.ok && listed.tasks.length === 3 && listed.tasks.every((x) => x.state === 'cancelled'));
});
