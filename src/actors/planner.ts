// The planner, at PLANNER_PATH: turns a task with a recipe into subtasks (`plan` -> `planned` or
// `plan-failed`) and a parent's final subtasks into its outcome (`aggregate` -> `aggregated`), by
// the declared recipes and the aggregation rule (src/tasks). The page recipes need the graph's
// pages: one load serves every plan waiting for it, and it ends in a message to self. The planner
// keeps nothing that matters: the queue asks again whatever a restart lost.
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { Ref } from '../runtime/ref.ts';
import { aggregateSubtasks } from '../tasks/aggregate.ts';
import { decompose, needsPages, plannedByPlanner, type Page } from '../tasks/recipes.ts';
import type { TaskRecord } from '../tasks/task.ts';
import { PLANNER_PATH, TASK_QUEUE_PATH, type PlannerMsg, type TaskQueueMsg } from './task-messages.ts';

export interface PlannerOptions {
  /** The graph's pages, for the page recipes (the node wiring reads them from the graph). */
  readonly pages: () => Promise<readonly Page[]>;
  /** Default TASK_QUEUE_PATH. */
  readonly queuePath?: string;
  /** Plans waiting for the pages at most (default 10,000); one beyond fails at once as overloaded. */
  readonly maxWaiting?: number;
}

export type PlannerActorMsg =
  | PlannerMsg
  | { readonly type: 'pages-loaded'; readonly pages: readonly Page[] }
  | { readonly type: 'pages-failed'; readonly error: unknown };

export const PLANNER_NAME = PLANNER_PATH.slice(PLANNER_PATH.lastIndexOf('/') + 1);
export const PLANNER_SPAWN = { name: PLANNER_NAME, mailbox: { capacity: 10_000, overflow: 'reject' } } as const;

/** What one incarnation holds: the plans waiting for the page load under way. */
interface PlannerState {
  readonly ctx: ActorContext<PlannerActorMsg>;
  readonly o: PlannerOptions;
  readonly queue: Ref<TaskQueueMsg>;
  readonly waiting: Map<string, TaskRecord>;
  loading: boolean;
}

export function plannerActor(options: PlannerOptions): ActorFactory<PlannerActorMsg> {
  return (ctx) => {
    const s: PlannerState = {
      ctx,
      o: options,
      queue: pathRef<TaskQueueMsg>(ctx.system, options.queuePath ?? TASK_QUEUE_PATH),
      waiting: new Map(),
      loading: false,
    };
    return { receive: (msg) => receive(s, msg) };
  };
}

function receive(s: PlannerState, msg: PlannerActorMsg): void {
  switch (msg.type) {
    case 'plan':
      return plan(s, msg.task);
    case 'aggregate': {
      const { success, result } = aggregateSubtasks(msg.subtasks);
      return s.queue.tell({ type: 'aggregated', taskId: msg.parent.id, success, result });
    }
    case 'pages-loaded':
      return pagesLoaded(s, msg.pages);
    case 'pages-failed':
      return pagesFailed(s, msg.error);
    default:
      return unreachable(msg);
  }
}

function plan(s: PlannerState, task: TaskRecord): void {
  if (!plannedByPlanner(task))
    return s.queue.tell({ type: 'plan-failed', taskId: task.id, reason: `no planner recipe ${String(task.recipe)}` });
  if (!needsPages(task)) return answer(s, task, []);
  if (!s.waiting.has(task.id) && s.waiting.size >= (s.o.maxWaiting ?? 10_000))
    return s.queue.tell({ type: 'plan-failed', taskId: task.id, reason: 'the planner is overloaded' });
  s.waiting.set(task.id, task);
  if (s.loading) return;
  s.loading = true;
  s.ctx.pipeToSelf(
    loadPages(s.o),
    (pages): PlannerActorMsg => ({ type: 'pages-loaded', pages }),
    (error): PlannerActorMsg => ({ type: 'pages-failed', error }),
  );
}

async function loadPages(o: PlannerOptions): Promise<readonly Page[]> {
  const pages = await o.pages();
  if (!Array.isArray(pages)) throw new TypeError('pages() did not give a list');
  return pages.filter((p): p is Page => typeof p === 'object' && p !== null && Number.isSafeInteger(p.id) && p.id >= 0);
}

function pagesLoaded(s: PlannerState, pages: readonly Page[]): void {
  s.loading = false;
  const waiting = [...s.waiting.values()];
  s.waiting.clear();
  for (const task of waiting) answer(s, task, pages);
}

function pagesFailed(s: PlannerState, error: unknown): void {
  s.loading = false;
  const reason = `the graph's pages could not be read: ${error instanceof Error ? error.message : String(error)}`;
  for (const task of s.waiting.values()) s.queue.tell({ type: 'plan-failed', taskId: task.id, reason });
  s.waiting.clear();
}

function answer(s: PlannerState, task: TaskRecord, pages: readonly Page[]): void {
  const subtasks = decompose(task, pages);
  if (subtasks.ok) s.queue.tell({ type: 'planned', taskId: task.id, subtasks: subtasks.value });
  else s.queue.tell({ type: 'plan-failed', taskId: task.id, reason: subtasks.message });
}

function unreachable(value: never): never {
  throw new Error(`planner: unhandled message ${String((value as { type?: unknown }).type)}`);
}
