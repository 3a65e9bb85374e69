// The task queue's client side (through the gateway's task port): submit, cancel, get, list,
// watch. Every answer that shows a task goes out after the task's state is committed.
import { recipeOf } from '../tasks/recipes.ts';
import { checkNewTask, queuedRecord, truncateBytes, withError } from '../tasks/new-task.ts';
import { TASK_STATES, type TaskRecord } from '../tasks/task.ts';
import { newTaskId } from '../tasks/task-id.ts';
import type { StoredTask } from '../tasks/task-store.ts';
import { holdsLease, isFinal } from '../tasks/transitions.ts';
import type { Recipient } from '../shared/recipient.ts';
import type { TaskActor, TaskListReply, TaskQueueMsg, TaskRefusal, TaskReply } from './task-messages.ts';
import { afterCommit } from './task-queue-commit.ts';
import type { TaskQueueInternalMsg } from './task-queue-messages.ts';
import { askPlanner } from './task-queue-plans.ts';
import { insert, put, type QueueState } from './task-queue-state.ts';

type Msg<T extends TaskQueueMsg['type']> = Extract<TaskQueueMsg, { type: T }>;
type Internal<T extends TaskQueueInternalMsg['type']> = Extract<TaskQueueInternalMsg, { type: T }>;

const SUBJECT_BYTES = 256;
const REASON_BYTES = 1_024;
/** Tasks in one list answer (each may carry a result of up to 1 MiB). */
export const MAX_LIST_REPLY = 1_000;

export function refuse(code: TaskRefusal, message: string): { readonly ok: false; readonly code: TaskRefusal; readonly message: string } {
  return { ok: false, code, message };
}

const UNAVAILABLE = refuse('unavailable', 'the task store could not be written; try again');

/** Replies with `task` once its state is committed (or `unavailable` when the commit fails). */
function replyCommitted(s: QueueState, replyTo: Recipient<TaskReply>, task: TaskRecord): void {
  afterCommit(s, { commit: () => replyTo.tell({ ok: true, task }), fail: () => replyTo.tell(UNAVAILABLE) });
}

export function submit(s: QueueState, msg: Msg<'submit'>): void {
  if (!validActor(msg.by) || msg.by.role === 'viewer') return msg.replyTo.tell(refuse('forbidden', 'a viewer cannot submit tasks'));
  const checked = checkNewTask(msg.task);
  if (!checked.ok) return msg.replyTo.tell(refuse('bad-request', checked.message));
  const recipe = checked.value.recipe === undefined ? undefined : recipeOf(checked.value);
  if (checked.value.recipe !== undefined && recipe === undefined)
    return msg.replyTo.tell(refuse('bad-request', `unknown recipe ${checked.value.recipe}`));
  if (s.open >= s.o.maxOpenTasks) return msg.replyTo.tell(refuse('overloaded', `${s.o.maxOpenTasks} tasks are open; try again later`));
  const now = s.o.wallNow();
  // A parent the planner decomposes needs no agent itself; one an agent plans is leased for `plan`.
  const capability = recipe === undefined ? undefined : recipe.kind === 'agent-plans' ? recipe.capability : '';
  const task = queuedRecord(checked.value, defaults(s), {
    id: newTaskId(),
    parentId: undefined,
    submittedBy: msg.by.subject,
    now,
    ...(capability === undefined ? {} : { capability }),
  });
  insert(s, task);
  replyCommitted(s, msg.replyTo, task);
  if (recipe !== undefined && recipe.kind !== 'agent-plans') {
    const running = put(s, { ...task, state: 'running' });
    askPlanner(s, running);
  }
}

function defaults(s: QueueState): { swarm: string; deadlineMs: number; maxAttempts: number } {
  return { swarm: 'default', deadlineMs: s.o.defaultDeadlineMs, maxAttempts: s.o.defaultMaxAttempts };
}

function validActor(by: TaskActor | undefined): by is TaskActor {
  return (
    by !== undefined &&
    typeof by.subject === 'string' &&
    by.subject !== '' &&
    Buffer.byteLength(by.subject) <= SUBJECT_BYTES &&
    ['viewer', 'editor', 'agent', 'admin'].includes(by.role)
  );
}

function mayCancel(by: TaskActor, task: TaskRecord): boolean {
  return by.role === 'admin' || (by.role === 'editor' && task.submittedBy === by.subject);
}

export function cancel(s: QueueState, msg: Msg<'cancel'>): void {
  if (!validActor(msg.by)) return msg.replyTo.tell(refuse('forbidden', 'who asks is not known'));
  const entry = typeof msg.taskId === 'string' ? s.tasks.get(msg.taskId) : undefined;
  if (entry === undefined) {
    // Not in memory: final or unknown; the store says which.
    const id = String(msg.taskId);
    s.ctx.pipeToSelf(
      s.o.store.get(id),
      (found) => ({ type: 'cancel-looked-up', found, request: msg }),
      (error) => ({ type: 'cancel-looked-up', found: asError(error), request: msg }),
    );
    return;
  }
  if (!mayCancel(msg.by, entry.task)) return msg.replyTo.tell(refuse('forbidden', 'an editor may cancel only the tasks it submitted'));
  if (isFinal(entry.task.state)) return msg.replyTo.tell(refuse('conflict', `task ${entry.task.id} is ${entry.task.state} already`));
  const reason = `cancelled by ${msg.by.subject}: ${truncateBytes(String(msg.reason ?? ''), REASON_BYTES)}`;
  replyCommitted(s, msg.replyTo, cancelTree(s, entry.task, reason));
}

export function cancelLookedUp(s: QueueState, msg: Internal<'cancel-looked-up'>): void {
  const { request, found } = msg;
  if (found instanceof Error) return request.replyTo.tell(refuse('unavailable', 'the task store could not be read'));
  if (found === undefined) return request.replyTo.tell(refuse('not-found', `no task ${String(request.taskId)}`));
  // Still open (it was loaded meanwhile): decide again on the live copy.
  if (s.tasks.has(found.task.id)) return cancel(s, request);
  if (!mayCancel(request.by, found.task))
    return request.replyTo.tell(refuse('forbidden', 'an editor may cancel only the tasks it submitted'));
  request.replyTo.tell(refuse('conflict', `task ${found.task.id} is ${found.task.state} already`));
}

/** Cancels a task and every open task under it, revoking the attempts under way. */
function cancelTree(s: QueueState, root: TaskRecord, reason: string): TaskRecord {
  const todo = [root.id];
  let cancelledRoot = root;
  for (let i = 0; i < todo.length; i++) {
    const task = s.tasks.get(todo[i]!)?.task;
    if (task === undefined || isFinal(task.state)) continue;
    todo.push(...task.subtasks);
    if (holdsLease(task)) revoke(s, task, reason);
    const cancelled = put(s, {
      ...task,
      state: 'cancelled',
      agentId: undefined,
      leaseUntil: undefined,
      errors: withError(task.errors, reason),
    });
    s.plannerAsks.delete(task.id);
    if (task.id === root.id) cancelledRoot = cancelled;
  }
  return cancelledRoot;
}

/** Tells the swarm to stop the attempt under way (after the commit that ends it). */
export function revoke(s: QueueState, task: TaskRecord, reason: string): void {
  const message = { type: 'revoke', taskId: task.id, agentId: task.agentId ?? '', attempt: task.attempts, reason } as const;
  const swarm = s.o.swarm(task.swarm);
  afterCommit(s, { commit: () => swarm.tell(message) });
}

export function get(s: QueueState, msg: Msg<'get'>): void {
  const entry = typeof msg.taskId === 'string' ? s.tasks.get(msg.taskId) : undefined;
  if (entry !== undefined) return replyCommitted(s, msg.replyTo, entry.task);
  const id = String(msg.taskId);
  s.ctx.pipeToSelf(
    s.o.store.get(id),
    (found) => ({ type: 'got', taskId: id, found, replyTo: msg.replyTo }),
    (error) => ({ type: 'got', taskId: id, found: asError(error), replyTo: msg.replyTo }),
  );
}

export function got(_s: QueueState, msg: Internal<'got'>): void {
  if (msg.found instanceof Error) return msg.replyTo.tell(refuse('unavailable', 'the task store could not be read'));
  if (msg.found === undefined) return msg.replyTo.tell(refuse('not-found', `no task ${msg.taskId}`));
  msg.replyTo.tell({ ok: true, task: msg.found.task });
}

export function list(s: QueueState, msg: Msg<'list'>): void {
  const states = msg.states ?? [];
  if (!Array.isArray(states) || states.some((st) => !(TASK_STATES as readonly string[]).includes(st)))
    return msg.replyTo.tell(refuse('bad-request', `states are among ${TASK_STATES.join(', ')}`));
  if (!Number.isInteger(msg.limit) || msg.limit < 1 || msg.limit > MAX_LIST_REPLY)
    return msg.replyTo.tell(refuse('bad-request', `limit is 1..${MAX_LIST_REPLY}`));
  if (msg.parentId !== undefined && typeof msg.parentId !== 'string') return msg.replyTo.tell(refuse('bad-request', 'parentId is text'));
  s.ctx.pipeToSelf(
    s.o.store.list({ states, ...(msg.parentId === undefined ? {} : { parentId: msg.parentId }), limit: msg.limit }),
    (found) => ({ type: 'listed', found, replyTo: msg.replyTo }),
    (error) => ({ type: 'listed', found: asError(error), replyTo: msg.replyTo }),
  );
}

/** What the store listed, each task as this queue knows it now (it may be newer than the read). */
export function listed(s: QueueState, msg: Internal<'listed'>): void {
  const replyTo: Recipient<TaskListReply> = msg.replyTo;
  if (msg.found instanceof Error) return replyTo.tell(refuse('unavailable', 'the task store could not be read'));
  const tasks = msg.found.map((f: StoredTask) => s.tasks.get(f.task.id)?.task ?? f.task);
  afterCommit(s, { commit: () => replyTo.tell({ ok: true, tasks }), fail: () => replyTo.tell(UNAVAILABLE) });
}

export function watch(s: QueueState, msg: Msg<'watch'>): void {
  s.shared.watchers.add(s.ctx, { ref: msg.subscriber }, { type: 'unwatch', subscriber: msg.subscriber });
}

export function unwatch(s: QueueState, msg: Msg<'unwatch'>): void {
  s.shared.watchers.delete(msg.subscriber);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
