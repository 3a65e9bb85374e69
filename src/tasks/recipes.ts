// The declared recipes: how a task with a recipe becomes subtasks. Each is data (its name, the
// capability its subtasks need, how it splits its input); `decompose` and `parseAgentPlan` are the
// only code, and the planner (or, for plan-with-agent, an agent) runs them.
//
//   link-pages       the graph's pages in batches, each a subtask for an agent that can `link`
//   summarise-pages  the same, for `summarise`
//   curate           one subtask for `curate`, the input passed through
//   plan-with-agent  the parent is leased like a leaf to an agent that can `plan`; its result, a
//                    JSON array of NewTask, becomes the subtasks
import { z } from 'zod';
import { checkNewTask, describeIssues, type Checked } from './new-task.ts';
import type { NewTask, TaskRecord } from './task.ts';

export type Recipe =
  | { readonly kind: 'page-batches'; readonly name: string; readonly capability: string; readonly defaultBatch: number }
  | { readonly kind: 'pass-through'; readonly name: string; readonly capability: string }
  | { readonly kind: 'agent-plans'; readonly name: string; readonly capability: string };

export const RECIPES: ReadonlyMap<string, Recipe> = new Map<string, Recipe>(
  (
    [
      { kind: 'page-batches', name: 'link-pages', capability: 'link', defaultBatch: 20 },
      { kind: 'page-batches', name: 'summarise-pages', capability: 'summarise', defaultBatch: 20 },
      { kind: 'pass-through', name: 'curate', capability: 'curate' },
      { kind: 'agent-plans', name: 'plan-with-agent', capability: 'plan' },
    ] as const
  ).map((r) => [r.name, r]),
);

/** Most subtasks one plan may make: a bigger job is several tasks. */
export const MAX_SUBTASKS = 10_000;
const MAX_BATCH = 10_000;

export interface Page {
  readonly id: number;
  readonly title: string;
}

export function recipeOf(task: { readonly recipe?: string | undefined }): Recipe | undefined {
  return task.recipe === undefined ? undefined : RECIPES.get(task.recipe);
}

/** A recipe the planner decomposes (rather than an agent). */
export function plannedByPlanner(task: { readonly recipe?: string | undefined }): boolean {
  const r = recipeOf(task);
  return r !== undefined && r.kind !== 'agent-plans';
}

export function needsPages(task: { readonly recipe?: string | undefined }): boolean {
  return recipeOf(task)?.kind === 'page-batches';
}

const pageInput = z
  .object({
    pages: z
      .array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
      .max(MAX_SUBTASKS * MAX_BATCH)
      .optional(),
    batch: z.number().int().min(1).max(MAX_BATCH).optional(),
  })
  .strict();

/** The subtasks of a task whose recipe the planner runs; `pages` for the page recipes. */
export function decompose(task: TaskRecord, pages: readonly Page[] = []): Checked<readonly NewTask[]> {
  const recipe = recipeOf(task);
  if (recipe === undefined) return { ok: false, message: `unknown recipe ${String(task.recipe)}` };
  switch (recipe.kind) {
    case 'page-batches':
      return pageBatches(task, recipe, pages);
    case 'pass-through':
      return { ok: true, value: [subtask(task, recipe.capability, `${recipe.name}: ${task.description}`, task.input)] };
    case 'agent-plans':
      return { ok: false, message: `${recipe.name} is planned by an agent, not the planner` };
  }
}

function pageBatches(task: TaskRecord, recipe: Recipe & { kind: 'page-batches' }, pages: readonly Page[]): Checked<readonly NewTask[]> {
  const input = parseJson(task.input === '' ? '{}' : task.input);
  if (!input.ok) return input;
  const parsed = pageInput.safeParse(input.value);
  if (!parsed.success) return { ok: false, message: `input: ${describeIssues(parsed.error.issues)}` };
  const ids = [...new Set(parsed.data.pages ?? pages.map((p) => p.id))];
  const batch = parsed.data.batch ?? recipe.defaultBatch;
  const count = Math.ceil(ids.length / batch);
  if (count > MAX_SUBTASKS)
    return { ok: false, message: `${ids.length} pages in batches of ${batch} is more than ${MAX_SUBTASKS} subtasks` };
  const out: NewTask[] = [];
  for (let i = 0; i < count; i++) {
    const slice = ids.slice(i * batch, (i + 1) * batch);
    const label = `${recipe.name} ${i + 1}/${count}: ${task.description}`;
    out.push(subtask(task, recipe.capability, label, JSON.stringify({ pages: slice })));
  }
  return { ok: true, value: out };
}

function subtask(parent: TaskRecord, capability: string, description: string, input: string): NewTask {
  return {
    description: description.slice(0, 4_096),
    capability,
    input,
    swarm: parent.swarm,
    priority: parent.priority,
    deadlineMs: parent.deadlineMs,
    maxAttempts: parent.maxAttempts,
  };
}

/**
 * A planning agent's result as subtasks: a JSON array of NewTask, each checked like a submission.
 * Subtasks name a capability (a recipe inside a plan would let plans grow without bound).
 */
export function parseAgentPlan(result: string): Checked<readonly NewTask[]> {
  const json = parseJson(result);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) return { ok: false, message: 'the plan is not a JSON array of tasks' };
  if (json.value.length > MAX_SUBTASKS) return { ok: false, message: `the plan has more than ${MAX_SUBTASKS} subtasks` };
  const out: NewTask[] = [];
  for (const [i, item] of json.value.entries()) {
    const checked = checkNewTask(item);
    if (!checked.ok) return { ok: false, message: `subtask ${i}: ${checked.message}` };
    if (checked.value.recipe !== undefined || checked.value.capability === undefined)
      return { ok: false, message: `subtask ${i}: a subtask names a capability and no recipe` };
    out.push(checked.value);
  }
  return { ok: true, value: out };
}

function parseJson(text: string): Checked<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
