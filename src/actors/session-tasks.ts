// A live session's side of the agents' task queue: its client submits tasks (TaskSubmit, answered
// by a TaskStatus in state Queued or an ErrorReply), cancels them (TaskCancel, answered by a
// TaskStatus in state Cancelled or an ErrorReply), and watches every task change (Topic.Tasks,
// one TaskStatus per change). Answers carry the request's seq as their correlation id; changes 0.
//
// Watching is lossy per task, as positions are: changes wait in a latest-wins backlog
// (task-backlog.ts) and go out while the socket has room; a client that reads slowly, or whose
// socket is gone while its session waits for a resume, gets the latest state of each task and
// loses the states in between. A flush that finds the socket full tries again shortly.
import { ErrorCode, type TaskCancel, type TaskSubmit } from '../protocol/index.ts';
import type { TaskOutcome, TaskRefusalCode, TaskRequester, TaskStatusMsg } from '../gateway/ports.ts';
import { clipUtf8, newTaskFromWire, taskStatusOf } from '../gateway/task-wire.ts';
import { sendError, unsupported, type RequestState } from './session-request-state.ts';

/** What reaches a session about tasks: the queue's changes, answers to its asks, its own flush timer. */
export type TaskSessionMsg =
  | TaskStatusMsg
  | { readonly type: 'task-answer'; readonly correlationId: number; readonly outcome: TaskOutcome }
  | { readonly type: 'task-flush' };

/** Submits and cancels of one session waiting for the queue; past it a request is refused. */
export const MAX_TASK_REQUESTS_IN_FLIGHT = 64;
/** Changes go out while the socket holds at most this many unsent bytes... */
export const TASK_HIGH_WATER_BYTES = 256 << 10;
/** ...and a flush that found it fuller tries again after this long. */
export const TASK_FLUSH_RETRY_MS = 50;

const REFUSAL_CODES: Readonly<Record<TaskRefusalCode, ErrorCode>> = {
  'bad-request': ErrorCode.BadMessage,
  'not-found': ErrorCode.NotFound,
  forbidden: ErrorCode.Unauthorized,
  conflict: ErrorCode.Conflict,
  overloaded: ErrorCode.Overloaded,
  unavailable: ErrorCode.Overloaded,
};

const NO_TASKS = 'no task queue on this node';

export function submitTask(s: RequestState, wire: TaskSubmit, correlationId: number): void {
  const tasks = s.rc.deps.tasks;
  if (tasks === undefined) return unsupported(s, NO_TASKS, correlationId);
  const checked = newTaskFromWire(wire);
  if (!checked.ok) return sendError(s, ErrorCode.BadMessage, `TaskSubmit.${checked.error}`, correlationId);
  if (!takeSlot(s, correlationId)) return;
  answerWith(s, correlationId, tasks.submit(checked.task, requester(s)));
}

export function cancelTask(s: RequestState, wire: TaskCancel, correlationId: number): void {
  const tasks = s.rc.deps.tasks;
  if (tasks === undefined) return unsupported(s, NO_TASKS, correlationId);
  const taskId = wire.taskId() ?? '';
  if (taskId === '') return sendError(s, ErrorCode.BadMessage, 'TaskCancel.task_id: must not be empty', correlationId);
  if (!takeSlot(s, correlationId)) return;
  const reason = clipUtf8(wire.reason() ?? '', 1024) || `cancelled by ${s.rc.claims().sub}`;
  answerWith(s, correlationId, tasks.cancel(taskId, requester(s), reason));
}

/** Subscribe or Unsubscribe Topic.Tasks; false (and an error told) when it cannot be served. */
export function watchTasks(s: RequestState, on: boolean, correlationId: number): boolean {
  const tasks = s.rc.deps.tasks;
  if (tasks === undefined) {
    unsupported(s, NO_TASKS, correlationId);
    return false;
  }
  if (!on) {
    tasks.unwatch(s.rc.ctx.self);
    s.tasks.backlog.clear();
    return true;
  }
  if (tasks.watch(s.rc.ctx.self)) return true;
  sendError(s, ErrorCode.Overloaded, 'the task queue is not running; subscribe again later', correlationId);
  return false;
}

export function handleTaskMsg(s: RequestState, msg: TaskSessionMsg, watching: boolean): void {
  switch (msg.type) {
    case 'task-event':
      if (!watching) return;
      s.tasks.backlog.put(msg.task);
      return flushTasks(s);
    case 'task-answer':
      s.tasks.inFlight = Math.max(0, s.tasks.inFlight - 1);
      if (msg.outcome.ok) return s.rc.outbox.send(taskStatusOf(msg.outcome.task), msg.correlationId);
      return sendError(s, REFUSAL_CODES[msg.outcome.code], msg.outcome.message, msg.correlationId);
    case 'task-flush':
      s.tasks.flushScheduled = false;
      return flushTasks(s);
    default:
      return unreachable(msg);
  }
}

/** Sends what waits while the socket has room; holds it while there is no socket (until a resume). */
export function flushTasks(s: RequestState): void {
  const { backlog } = s.tasks;
  const conn = s.rc.conn();
  while (backlog.size > 0) {
    if (conn === undefined || !conn.open) return;
    if (conn.bufferedAmount > TASK_HIGH_WATER_BYTES) return scheduleFlush(s);
    const task = backlog.take();
    if (task !== undefined) s.rc.outbox.send(taskStatusOf(task));
  }
}

export function stopWatchingTasks(s: RequestState): void {
  s.rc.deps.tasks?.unwatch(s.rc.ctx.self);
  s.tasks.backlog.clear();
}

function scheduleFlush(s: RequestState): void {
  if (s.tasks.flushScheduled) return;
  s.tasks.flushScheduled = true;
  s.rc.ctx.scheduleOnce(TASK_FLUSH_RETRY_MS, { type: 'task-flush' });
}

function takeSlot(s: RequestState, correlationId: number): boolean {
  if (s.tasks.inFlight < MAX_TASK_REQUESTS_IN_FLIGHT) {
    s.tasks.inFlight++;
    return true;
  }
  sendError(s, ErrorCode.Overloaded, `too many task requests in flight (at most ${MAX_TASK_REQUESTS_IN_FLIGHT})`, correlationId);
  return false;
}

/** The outcome comes back to the session as a message (a port that breaks its promise never to reject: unavailable). */
function answerWith(s: RequestState, correlationId: number, outcome: Promise<TaskOutcome>): void {
  s.rc.ctx.pipeToSelf(
    outcome,
    (result): TaskSessionMsg => ({ type: 'task-answer', correlationId, outcome: result }),
    (error): TaskSessionMsg => ({
      type: 'task-answer',
      correlationId,
      outcome: { ok: false, code: 'unavailable', message: String(error) },
    }),
  );
}

function requester(s: RequestState): TaskRequester {
  const claims = s.rc.claims();
  return { subject: claims.sub, role: claims.role };
}

function unreachable(value: never): never {
  throw new Error(`session: unhandled task message ${String((value as { type?: unknown }).type)}`);
}
