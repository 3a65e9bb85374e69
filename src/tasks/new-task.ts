// What a submitted task (or a planned subtask) may hold, checked as untrusted input: the bounds are
// the wire's (schemas/agent.fbs, TaskSubmit), so anything valid here also fits a TaskStatus. A
// valid NewTask becomes a queued TaskRecord with the queue's defaults filled in.
import { z } from 'zod';
import type { NewTask, TaskRecord } from './task.ts';

export const TASK_LIMITS = {
  descriptionBytes: 65_536,
  recipeBytes: 128,
  capabilityBytes: 128,
  inputBytes: 1_048_576,
  swarmBytes: 64,
  resultBytes: 1_048_576,
  /** Each reason in `errors`, and how many are kept (the oldest go first). */
  errorBytes: 1_024,
  errors: 100,
  maxAttempts: 100,
  /** A week: an attempt longer than that is a task that should report progress and be split. */
  deadlineMs: 7 * 24 * 3_600_000,
} as const;

const bytes = (max: number) => z.string().refine((s) => Buffer.byteLength(s) <= max, { message: `longer than ${max} UTF-8 bytes` });
/** Swarm names are path segments (swarmDispatcherPath); capabilities are words agents declare. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const newTaskSchema = z
  .object({
    description: bytes(TASK_LIMITS.descriptionBytes).refine((s) => s.trim() !== '', { message: 'empty' }),
    recipe: bytes(TASK_LIMITS.recipeBytes).regex(NAME, { message: 'not a recipe name' }).optional(),
    capability: bytes(TASK_LIMITS.capabilityBytes).regex(NAME, { message: 'not a capability name' }).optional(),
    input: bytes(TASK_LIMITS.inputBytes).optional(),
    swarm: bytes(TASK_LIMITS.swarmBytes).regex(NAME, { message: 'not a swarm name' }).optional(),
    priority: z.number().int().min(0).max(255).optional(),
    deadlineMs: z.number().int().min(0).max(TASK_LIMITS.deadlineMs).optional(),
    maxAttempts: z.number().int().min(0).max(TASK_LIMITS.maxAttempts).optional(),
  })
  .strict()
  .refine((t) => t.recipe !== undefined || t.capability !== undefined, { message: 'a task needs a recipe or a capability' });

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Checks a NewTask from outside; the message says what is wrong with it. */
export function checkNewTask(input: unknown): Checked<NewTask> {
  const parsed = newTaskSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: describeIssues(parsed.error.issues) };
}

export function describeIssues(issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length === 0 ? i.message : `${i.path.map(String).join('.')}: ${i.message}`))
    .join('; ');
}

/** The queue's values for what a NewTask leaves out (0 or absent). */
export interface TaskDefaults {
  readonly swarm: string;
  readonly deadlineMs: number;
  readonly maxAttempts: number;
}

export interface Provenance {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly submittedBy: string;
  readonly now: number;
  /** Filled from the recipe for a parent that an agent plans (recipes.ts). */
  readonly capability?: string;
}

/** A checked NewTask as the queued record the store keeps. */
export function queuedRecord(task: NewTask, defaults: TaskDefaults, p: Provenance): TaskRecord {
  return {
    id: p.id,
    parentId: p.parentId,
    swarm: task.swarm ?? defaults.swarm,
    state: 'queued',
    description: task.description,
    recipe: task.recipe,
    capability: p.capability ?? task.capability ?? '',
    input: task.input ?? '',
    priority: task.priority ?? 0,
    deadlineMs: task.deadlineMs || defaults.deadlineMs,
    maxAttempts: task.maxAttempts || defaults.maxAttempts,
    attempts: 0,
    agentId: undefined,
    leaseUntil: undefined,
    progress: 0,
    result: undefined,
    errors: [],
    subtasks: [],
    submittedBy: p.submittedBy,
    createdMs: p.now,
    updatedMs: p.now,
  };
}

/** `errors` with one more reason, each bounded, the oldest dropped beyond the limit. */
export function withError(errors: readonly string[], reason: string): readonly string[] {
  const bounded = truncateBytes(reason, TASK_LIMITS.errorBytes);
  const all = [...errors, bounded];
  return all.length > TASK_LIMITS.errors ? all.slice(all.length - TASK_LIMITS.errors) : all;
}

/** At most `max` UTF-8 bytes, cut on a character boundary. */
export function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = Buffer.from(s).subarray(0, max).toString('utf8');
  while (Buffer.byteLength(out) > max || out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}
