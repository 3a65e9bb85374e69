// Tasks on the wire: a client's TaskSubmit becomes the queue's NewTask (checked by task-input.ts),
// and a TaskRecord becomes the TaskStatus clients are sent. Every string and list of a status is
// cut to the bound agent.fbs gives it, because clients verify what they receive and would refuse
// the whole message over one field a byte too long.
import { TaskState as WireTaskState, TaskStatusT, type TaskSubmit } from '../protocol/index.ts';
import type { TaskRecord, TaskState } from '../tasks/task.ts';
import { checkNewTask, type TaskFields, type TaskInputCheck } from './task-input.ts';

const WIRE_STATES: Readonly<Record<TaskState, WireTaskState>> = {
  queued: WireTaskState.Queued,
  assigned: WireTaskState.Assigned,
  running: WireTaskState.Running,
  done: WireTaskState.Done,
  failed: WireTaskState.Failed,
  cancelled: WireTaskState.Cancelled,
};

/** TaskStatus's bounds (schemas/agent.fbs), in UTF-8 bytes for strings. */
const STATUS_LIMITS = {
  id: 256,
  description: 65_536,
  name: 128,
  swarm: 64,
  result: 1_048_576,
  errors: 100,
  /** Strings inside vectors share the verifier's one bound; an error message needs far less. */
  errorBytes: 4_096,
  subtasks: 100_000,
} as const;

export function taskFieldsFromWire(submit: TaskSubmit): TaskFields {
  return {
    description: submit.description() ?? '',
    recipe: submit.recipe() ?? undefined,
    capability: submit.capability() ?? undefined,
    input: submit.input() ?? undefined,
    swarm: submit.swarm() ?? undefined,
    priority: submit.priority(),
    deadlineMs: submit.deadlineMs(),
    maxAttempts: submit.maxAttempts(),
  };
}

export function newTaskFromWire(submit: TaskSubmit): TaskInputCheck {
  return checkNewTask(taskFieldsFromWire(submit));
}

export function wireTaskState(state: TaskState): WireTaskState {
  return WIRE_STATES[state];
}

export function taskStatusOf(task: TaskRecord): TaskStatusT {
  const L = STATUS_LIMITS;
  const progress = Number.isFinite(task.progress) ? Math.min(1, Math.max(0, task.progress)) : 0;
  const updated = Number.isSafeInteger(task.updatedMs) && task.updatedMs > 0 ? task.updatedMs : 0;
  return new TaskStatusT(
    clipUtf8(task.id, L.id),
    optional(task.parentId, L.id),
    WIRE_STATES[task.state],
    clipUtf8(task.description, L.description),
    optional(task.recipe, L.name),
    optional(task.capability, L.name),
    optional(task.swarm, L.swarm),
    optional(task.agentId, L.id),
    Math.max(0, Math.min(0xffff_ffff, Math.floor(task.attempts))),
    progress,
    optional(task.result, L.result),
    // The last ones: why it failed or was cancelled comes last.
    task.errors.slice(-L.errors).map((e) => clipUtf8(e, L.errorBytes)),
    task.subtasks.slice(0, L.subtasks).map((id) => clipUtf8(id, L.id)),
    BigInt(updated),
  );
}

function optional(text: string | undefined, maxBytes: number): string | null {
  return text === undefined || text === '' ? null : clipUtf8(text, maxBytes);
}

const encoder = new TextEncoder();

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function clipUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const room = new Uint8Array(maxBytes);
  const { read } = encoder.encodeInto(text, room);
  return read >= text.length ? text : text.slice(0, read);
}
