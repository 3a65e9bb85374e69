// The task state machine of task.ts as data: which moves are allowed, and the questions the queue
// asks of a state (is it final, is it open, does it hold a lease).
import { FINAL_STATES, type TaskState } from './task.ts';

const MOVES: Readonly<Record<TaskState, ReadonlySet<TaskState>>> = {
  queued: new Set(['assigned', 'running', 'cancelled']),
  assigned: new Set(['running', 'queued', 'done', 'failed', 'cancelled']),
  running: new Set(['queued', 'done', 'failed', 'cancelled']),
  done: new Set(),
  failed: new Set(),
  cancelled: new Set(),
};

export const OPEN_STATES: readonly TaskState[] = ['queued', 'assigned', 'running'];

export function isMoveAllowed(from: TaskState, to: TaskState): boolean {
  return MOVES[from].has(to);
}

export function isFinal(state: TaskState): boolean {
  return FINAL_STATES.has(state);
}

/** Assigned or running with an agent on it: an attempt is under way. */
export function holdsLease(task: { readonly state: TaskState; readonly agentId: string | undefined }): boolean {
  return (task.state === 'assigned' || task.state === 'running') && task.agentId !== undefined;
}

export class DisallowedMoveError extends Error {
  constructor(
    readonly taskId: string,
    readonly from: TaskState,
    readonly to: TaskState,
  ) {
    super(`task ${taskId}: ${from} -> ${to} is not an allowed move`);
    this.name = 'DisallowedMoveError';
  }
}

/** Throws unless `from -> to` is allowed (staying in a state is a change of fields, not a move). */
export function assertMove(taskId: string, from: TaskState, to: TaskState): void {
  if (from !== to && !isMoveAllowed(from, to)) throw new DisallowedMoveError(taskId, from, to);
}
