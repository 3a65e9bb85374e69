// What a client may ask of the task queue, checked the same way whether the task came as a
// TaskSubmit frame or as a POST /api/tasks body: the bounds are the wire's (agent.fbs, in UTF-8
// bytes), so a task accepted on one road is accepted on the other. Whether a recipe exists, or a
// swarm serves a capability, is the queue's to say.
import type { NewTask } from '../tasks/task.ts';

/** A new task's fields as they arrived, before any check ("" counts as absent, as on the wire). */
export interface TaskFields {
  readonly description: string;
  readonly recipe?: string | undefined;
  readonly capability?: string | undefined;
  readonly input?: string | undefined;
  readonly swarm?: string | undefined;
  readonly priority?: number | undefined;
  readonly deadlineMs?: number | undefined;
  readonly maxAttempts?: number | undefined;
}

export type TaskInputCheck = { readonly ok: true; readonly task: NewTask } | { readonly ok: false; readonly error: string };

/** The wire's bounds (schemas/agent.fbs, TaskSubmit). */
export const TASK_LIMITS = {
  descriptionBytes: 65_536,
  nameBytes: 128,
  swarmBytes: 64,
  inputBytes: 1_048_576,
  maxPriority: 255,
  maxDeadlineMs: 0xffff_ffff,
  maxAttempts: 100,
} as const;

/**
 * Recipe, capability and swarm names: a letter or digit, then letters, digits and . _ : -. A swarm
 * name becomes part of an actor path, so nothing that could read as a path gets that far.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

export function checkNewTask(fields: TaskFields): TaskInputCheck {
  const problem = firstProblem(fields);
  if (problem !== undefined) return { ok: false, error: problem };
  const task: { -readonly [K in keyof NewTask]: NewTask[K] } = { description: fields.description };
  if (present(fields.recipe)) task.recipe = fields.recipe;
  if (present(fields.capability)) task.capability = fields.capability;
  if (present(fields.input)) task.input = fields.input;
  if (present(fields.swarm)) task.swarm = fields.swarm;
  if (fields.priority !== undefined && fields.priority !== 0) task.priority = fields.priority;
  if (fields.deadlineMs !== undefined && fields.deadlineMs !== 0) task.deadlineMs = fields.deadlineMs;
  if (fields.maxAttempts !== undefined && fields.maxAttempts !== 0) task.maxAttempts = fields.maxAttempts;
  return { ok: true, task };
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function firstProblem(f: TaskFields): string | undefined {
  if (f.description.trim() === '') return 'description: must not be empty';
  if (utf8Bytes(f.description) > TASK_LIMITS.descriptionBytes) return `description: over ${TASK_LIMITS.descriptionBytes} bytes`;
  if (!present(f.recipe) && !present(f.capability)) return 'a task names a recipe or a capability';
  return (
    nameProblem('recipe', f.recipe, TASK_LIMITS.nameBytes) ??
    nameProblem('capability', f.capability, TASK_LIMITS.nameBytes) ??
    nameProblem('swarm', f.swarm, TASK_LIMITS.swarmBytes) ??
    (present(f.input) && utf8Bytes(f.input) > TASK_LIMITS.inputBytes ? `input: over ${TASK_LIMITS.inputBytes} bytes` : undefined) ??
    intProblem('priority', f.priority, TASK_LIMITS.maxPriority) ??
    intProblem('deadlineMs', f.deadlineMs, TASK_LIMITS.maxDeadlineMs) ??
    intProblem('maxAttempts', f.maxAttempts, TASK_LIMITS.maxAttempts)
  );
}

function nameProblem(field: string, value: string | undefined, maxBytes: number): string | undefined {
  if (!present(value)) return undefined;
  if (utf8Bytes(value) > maxBytes) return `${field}: over ${maxBytes} bytes`;
  if (!NAME.test(value)) return `${field}: letters, digits and . _ : - only, starting with a letter or digit`;
  return undefined;
}

function intProblem(field: string, value: number | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return Number.isInteger(value) && value >= 0 && value <= max ? undefined : `${field}: an integer in [0, ${max}]`;
}
