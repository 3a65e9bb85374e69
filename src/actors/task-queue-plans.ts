// The task queue's parents: a recipe's plan becomes subtasks (inserted in the same commit as the
// parent's update), and once every subtask is final the planner aggregates them into the parent's
// outcome. Each answer from the planner is applied at most once (a repeated `planned` finds the
// parent planned, a repeated `aggregated` finds it final), so asking again after a restart of
// either side is safe: that is what the periodic planner-retry does.
import { aggregateSubtasks } from '../tasks/aggregate.ts';
import { checkNewTask, queuedRecord, withError } from '../tasks/new-task.ts';
import { MAX_SUBTASKS, plannedByPlanner, recipeOf } from '../tasks/recipes.ts';
import type { NewTask, TaskRecord } from '../tasks/task.ts';
import { newTaskId } from '../tasks/task-id.ts';
import { isFinal } from '../tasks/transitions.ts';
import type { TaskQueueMsg } from './task-messages.ts';
import { afterCommit } from './task-queue-commit.ts';
import { insert, put, type QueueState } from './task-queue-state.ts';

type Msg<T extends TaskQueueMsg['type']> = Extract<TaskQueueMsg, { type: T }>;

/** Asks the planner to plan `parent` (after the commit that made it running). */
export function askPlanner(s: QueueState, parent: TaskRecord): void {
  s.plannerAsks.set(parent.id, s.ctx.system.clock.now());
  afterCommit(s, { commit: () => s.o.planner.tell({ type: 'plan', task: parent }) });
}

/** The parent if it still waits for a plan: open, running, planned by someone, no subtasks yet. */
function awaitingPlan(s: QueueState, taskId: unknown): TaskRecord | undefined {
  const task = typeof taskId === 'string' ? s.tasks.get(taskId)?.task : undefined;
  if (task === undefined || task.state !== 'running' || task.subtasks.length > 0 || recipeOf(task) === undefined) return undefined;
  return task;
}

export function planned(s: QueueState, msg: Msg<'planned'>): void {
  const parent = awaitingPlan(s, msg.taskId);
  if (parent === undefined || !plannedByPlanner(parent)) return;
  s.plannerAsks.delete(parent.id);
  if (!Array.isArray(msg.subtasks) || msg.subtasks.length > MAX_SUBTASKS)
    return failParent(s, parent, `the plan has more than ${MAX_SUBTASKS} subtasks`);
  for (const [i, sub] of msg.subtasks.entries()) {
    const checked = checkNewTask(sub);
    if (!checked.ok) return failParent(s, parent, `subtask ${i}: ${checked.message}`);
    if (checked.value.capability === undefined || checked.value.recipe !== undefined)
      return failParent(s, parent, `subtask ${i}: a subtask names a capability and no recipe`);
  }
  applyPlan(s, parent, msg.subtasks);
}

export function planFailed(s: QueueState, msg: Msg<'plan-failed'>): void {
  const parent = awaitingPlan(s, msg.taskId);
  if (parent === undefined) return;
  failParent(s, parent, String(msg.reason));
}

export function failParent(s: QueueState, parent: TaskRecord, reason: string): void {
  s.plannerAsks.delete(parent.id);
  put(s, {
    ...parent,
    state: 'failed',
    agentId: undefined,
    leaseUntil: undefined,
    errors: withError(parent.errors, `plan failed: ${reason}`),
  });
}

/**
 * Checked subtasks under a running parent: inserted queued, with the parent's swarm, priority,
 * deadline and attempts where they name none, in the same commit as the parent's list of them.
 */
export function applyPlan(s: QueueState, parent: TaskRecord, subtasks: readonly NewTask[]): void {
  if (s.open + subtasks.length > s.o.maxOpenTasks)
    return failParent(s, parent, `${subtasks.length} subtasks would pass the ${s.o.maxOpenTasks} open tasks the queue holds`);
  if (subtasks.length === 0) {
    const { result } = aggregateSubtasks([]);
    put(s, { ...parent, state: 'done', progress: 1, result });
    return;
  }
  const now = s.o.wallNow();
  const defaults = { swarm: parent.swarm, deadlineMs: parent.deadlineMs, maxAttempts: parent.maxAttempts };
  const ids: string[] = [];
  for (const sub of subtasks) {
    const id = newTaskId();
    ids.push(id);
    const inherited = { ...sub, priority: sub.priority ?? parent.priority };
    insert(s, queuedRecord(inherited, defaults, { id, parentId: parent.id, submittedBy: parent.submittedBy, now }));
  }
  put(s, { ...parent, subtasks: ids });
}

/** Once every subtask of `parentId` is final, asks the planner for the parent's outcome. */
export function checkAggregation(s: QueueState, parentId: string | undefined): void {
  const parent = parentId === undefined ? undefined : s.tasks.get(parentId)?.task;
  if (parent === undefined || isFinal(parent.state) || parent.subtasks.length === 0 || s.plannerAsks.has(parent.id)) return;
  const subtasks = finalSubtasks(s, parent);
  if (subtasks === undefined) return;
  s.plannerAsks.set(parent.id, s.ctx.system.clock.now());
  afterCommit(s, { commit: () => s.o.planner.tell({ type: 'aggregate', parent, subtasks }) });
}

function finalSubtasks(s: QueueState, parent: TaskRecord): TaskRecord[] | undefined {
  const out: TaskRecord[] = [];
  for (const id of parent.subtasks) {
    const sub = s.tasks.get(id)?.task;
    if (sub === undefined || !isFinal(sub.state)) return undefined;
    out.push(sub);
  }
  return out;
}

export function aggregated(s: QueueState, msg: Msg<'aggregated'>): void {
  const parent = typeof msg.taskId === 'string' ? s.tasks.get(msg.taskId)?.task : undefined;
  if (parent === undefined || isFinal(parent.state) || parent.subtasks.length === 0 || finalSubtasks(s, parent) === undefined) return;
  s.plannerAsks.delete(parent.id);
  const result = String(msg.result);
  if (msg.success === true) put(s, { ...parent, state: 'done', progress: 1, result });
  else put(s, { ...parent, state: 'failed', result, errors: withError(parent.errors, 'some subtasks did not succeed') });
}

/** Asks the planner again for what it has not answered within plannerRetryMs. */
export function plannerRetry(s: QueueState): void {
  const now = s.ctx.system.clock.now();
  for (const [id, askedAt] of [...s.plannerAsks]) {
    if (now - askedAt < s.o.plannerRetryMs) continue;
    const parent = s.tasks.get(id)?.task;
    s.plannerAsks.delete(id);
    if (parent === undefined || isFinal(parent.state)) continue;
    if (parent.subtasks.length === 0) {
      if (plannedByPlanner(parent) && parent.state === 'running') askPlanner(s, parent);
    } else checkAggregation(s, id);
  }
}
