// The planner alone, with a recording queue: plans by recipe, one page load for the plans that
// wait on it, a failed load fails those plans with the reason, aggregation by the rule.
import test from 'ava';
import { plannerActor, type PlannerActorMsg } from '../../src/actors/planner.ts';
import type { TaskQueueMsg } from '../../src/actors/task-messages.ts';
import { queuedRecord } from '../../src/tasks/new-task.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';
import { gate, testSystem } from '../helpers/system.ts';

const task = (id: string, recipe: string, input = ''): TaskRecord => ({
  ...queuedRecord(
    { description: id, recipe, input },
    { swarm: 'default', deadlineMs: 1_000, maxAttempts: 3 },
    { id, parentId: undefined, submittedBy: 's', now: 0, capability: '' },
  ),
  state: 'running',
});

function setup(t: Parameters<typeof testSystem>[0], pages: () => Promise<readonly { id: number; title: string }[]>) {
  const ts = testSystem(t);
  const told: TaskQueueMsg[] = [];
  ts.system.spawn<TaskQueueMsg>(() => ({ receive: (m) => void told.push(m) }), { name: 'queue' });
  const planner = ts.system.spawn<PlannerActorMsg>(plannerActor({ pages, queuePath: '/queue' }), { name: 'planner' });
  return { ...ts, told, planner };
}

test('plans wait for one page load between them, then each is answered', async (t) => {
  const loaded = gate();
  let loads = 0;
  const { system, told, planner } = setup(t, async () => {
    loads++;
    await loaded.promise;
    return [
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
      { id: 3, title: 'c' },
    ];
  });
  planner.tell({ type: 'plan', task: task('t-1', 'link-pages') });
  planner.tell({ type: 'plan', task: task('t-2', 'summarise-pages', '{"batch":2}') });
  planner.tell({ type: 'plan', task: task('t-3', 'curate', 'in') });
  planner.tell({ type: 'plan', task: task('t-4', 'plan-with-agent') });
  await system.settled();
  t.deepEqual(
    told.map((m) => [m.type, 'taskId' in m ? m.taskId : '']),
    [
      ['planned', 't-3'],
      ['plan-failed', 't-4'],
    ],
  );
  loaded.open();
  await new Promise((r) => setImmediate(r));
  await system.settled();
  t.is(loads, 1);
  const planned = told.filter((m): m is Extract<TaskQueueMsg, { type: 'planned' }> => m.type === 'planned');
  t.deepEqual(
    planned.map((m) => [m.taskId, m.subtasks.length]),
    [
      ['t-3', 1],
      ['t-1', 1],
      ['t-2', 2],
    ],
  );
});

test('a failed page load fails the waiting plans with the reason; aggregate answers by the rule', async (t) => {
  const { system, told, planner } = setup(t, async () => {
    throw new Error('graph unreachable');
  });
  planner.tell({ type: 'plan', task: task('t-1', 'link-pages') });
  await new Promise((r) => setImmediate(r));
  await system.settled();
  t.deepEqual(told, [{ type: 'plan-failed', taskId: 't-1', reason: "the graph's pages could not be read: graph unreachable" }]);
  const parent = task('t-p', 'curate');
  const sub: TaskRecord = { ...task('t-s', 'curate'), state: 'done', result: 'fine' };
  planner.tell({ type: 'aggregate', parent, subtasks: [sub] });
  await system.settled();
  t.deepEqual(told.at(-1), {
    type: 'aggregated',
    taskId: 't-p',
    success: true,
    result: JSON.stringify({ subtasks: [{ id: 't-s', state: 'done', result: 'fine' }], done: 1, failed: 0 }),
  });
});
