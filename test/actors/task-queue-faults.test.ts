// Fault injection while tasks flow: the queue and the planner throw on random messages (each such
// message is lost, as a crash loses it), supervision restarts them, and every task the queue
// accepted still ends done, exactly once. Lost reports run out their lease and are done again by
// another attempt; lost plans and aggregations are asked for again; lost lease requests are
// repeated by the swarm.
import test from 'ava';
import { PLANNER_PATH, TASK_QUEUE_PATH, type TaskReply } from '../../src/actors/task-messages.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import type { NewTask } from '../../src/tasks/task.ts';
import { TaskStore } from '../../src/tasks/task-store.ts';
import { collectEvents } from '../helpers/events.ts';
import { pollUntil } from '../helpers/poll.ts';
import { EDITOR, ok, startPipeline } from '../tasks/pipeline.ts';

const realPause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('the queue and the planner crash at random while tasks flow; every accepted task ends done exactly once', async (t) => {
  const db = await pgliteClient();
  t.teardown(() => db.close());
  await migrate(db);
  const store = new TaskStore(db);
  const p = startPipeline(t, {
    db,
    swarm: { agents: 3 },
    queue: { defaultDeadlineMs: 3_000, defaultMaxAttempts: 100, plannerRetryMs: 2_000 },
  });
  const log = collectEvents(p.ts.system);
  const accepted: string[] = [];
  for (let i = 0; i < 8; i++) accepted.push(ok(await p.submit({ description: `echo ${i}`, capability: 'echo' })).id);
  accepted.push(ok(await p.submit({ description: 'links', recipe: 'link-pages', maxAttempts: 100 })).id);

  p.ts.system.faults.inject(TASK_QUEUE_PATH, { kind: 'throw-randomly', probability: 0.1 });
  // The planner hears few messages: its next two are lost for sure (plans the queue must ask again).
  p.ts.system.faults.inject(PLANNER_PATH, { kind: 'throw', times: 2 });
  // More submissions while it crashes: those answered ok are accepted; the others may or may not exist.
  const more: NewTask[] = [
    ...Array.from({ length: 8 }, (_, i) => ({ description: `late echo ${i}`, capability: 'echo', maxAttempts: 100 })),
    { description: 'summaries', recipe: 'summarise-pages', input: '{"batch":15}', maxAttempts: 100 },
    { description: 'curation', recipe: 'curate', maxAttempts: 100 },
  ];
  const submitLate = (task: NewTask): void =>
    p.queue.tell({
      type: 'submit',
      task,
      by: EDITOR,
      replyTo: { path: '/test/late', tell: (r: TaskReply) => void (r.ok && accepted.push(r.task.id)) },
    });
  const restarted = (path: string) => log.of('actor-restarted').some((e) => e.path === path);
  // At least 20 s of virtual time with faults, and until both have crashed (bounded). The late
  // submissions go one a step, so that they fall into different commits: one crash loses the
  // answers of its own batch only.
  for (let step = 0; step < 80 || (step < 2_000 && !(restarted(TASK_QUEUE_PATH) && restarted(PLANNER_PATH))); step++) {
    const late = more[step];
    if (late !== undefined) submitLate(late);
    await p.ts.advance(250);
    await realPause(2);
  }
  p.ts.system.faults.clear(TASK_QUEUE_PATH);
  p.ts.system.faults.clear(PLANNER_PATH);
  t.true(restarted(TASK_QUEUE_PATH), 'the queue was restarted');
  t.true(restarted(PLANNER_PATH), 'the planner was restarted');
  t.true(accepted.length > 9, 'some submissions made it through the crashes');

  await pollUntil(
    async () => {
      await p.ts.advance(500);
      const states = await Promise.all(accepted.map(async (id) => (await store.get(id))?.task.state));
      // Submissions whose answer a crash lost may exist too: they must end as well.
      const open = await db.query("SELECT id FROM tasks WHERE state IN ('queued', 'assigned', 'running')");
      return states.every((s) => s === 'done') && open.length === 0;
    },
    { limitMs: 60_000, what: 'every accepted task done' },
  );
  for (const id of accepted) {
    const task = (await store.get(id))!.task;
    if (task.recipe === undefined) t.is(task.result, `ok ${id}`);
    else {
      const result = JSON.parse(task.result!) as { done: number; failed: number };
      t.deepEqual([result.done, result.failed], [task.subtasks.length, 0], `${task.recipe}: every subtask done`);
      t.true(task.subtasks.length > 0);
    }
  }
  const doneEvents = new Map<string, number>();
  for (const e of p.events) if (e.task.state === 'done') doneEvents.set(e.task.id, (doneEvents.get(e.task.id) ?? 0) + 1);
  t.true(
    [...doneEvents.values()].every((n) => n === 1),
    'no task was done twice',
  );
  const rows = await db.query<{ id: string; state: string; errors: unknown }>("SELECT id, state, errors FROM tasks WHERE state <> 'done'");
  t.deepEqual(rows, [], 'nothing failed');
});
