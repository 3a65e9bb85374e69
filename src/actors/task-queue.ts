// The task queue: the durable owner of every task of the agent swarms and the only writer of the
// tasks table, at TASK_QUEUE_PATH. Clients submit, cancel, get, list and watch (through the
// gateway's task port); the planner turns recipes into subtasks and subtasks back into a parent's
// outcome; the swarms lease tasks for their agents and report on them (task-messages.ts draws the
// conversation).
//
// Durability first: a handler changes tasks in memory and records the writes; one transaction per
// batch commits them (task-queue-commit.ts), and only then do replies, task-events, work-available
// and messages to the planner go out. Nothing acknowledged exists only in memory: a restart, or a
// new process on the same store, rebuilds everything from the tasks table (task-queue-restore.ts).
// A task is done at most once: every report is fenced by the lease's agent and attempt
// (task-queue-leases.ts), a final task never moves again, and the store refuses a write that was
// decided on a stale revision.
//
// Where the pieces are: state and the one change primitive, task-queue-state.ts; clients,
// task-queue-clients.ts; swarms, task-queue-leases.ts; parents and the planner, task-queue-plans.ts.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { SqlClient } from '../storage/sql.ts';
import { TaskStore } from '../tasks/task-store.ts';
import { Subscriptions } from './subscriptions.ts';
import {
  PLANNER_PATH,
  swarmDispatcherPath,
  TASK_QUEUE_PATH,
  type PlannerMsg,
  type SwarmQueueMsg,
  type TaskEvent,
  type TaskQueueMsg,
} from './task-messages.ts';
import { cancel, cancelLookedUp, get, got, list, listed, submit, unwatch, watch } from './task-queue-clients.ts';
import { commitFailed, committed, flush } from './task-queue-commit.ts';
import { agentError, agentLost, completed, heldLeases, lease, leaseExpired, progress, swarmUp } from './task-queue-leases.ts';
import type { TaskQueueActorMsg } from './task-queue-messages.ts';
import { aggregated, checkAggregation, planFailed, planned, plannerRetry } from './task-queue-plans.ts';
import { restore } from './task-queue-restore.ts';
import { newQueueState, type QueueShared, type QueueState, type TaskQueueSettings } from './task-queue-state.ts';

export type { TaskQueueActorMsg } from './task-queue-messages.ts';

/** Its name under /app/agents (TASK_QUEUE_PATH). */
export const TASK_QUEUE_NAME = TASK_QUEUE_PATH.slice(TASK_QUEUE_PATH.lastIndexOf('/') + 1);

export interface TaskQueueOptions {
  /** The store's database (migration 004 applied, as openStore does). */
  readonly db: SqlClient;
  /** Wall-clock ms since the epoch for leaseUntil, createdMs and updatedMs (injectable for tests). */
  readonly wallNow?: () => number;
  /** Open tasks at most (default 100,000): a submit beyond is answered `overloaded`. */
  readonly maxOpenTasks?: number;
  /** An attempt's deadline when the task names none (default 60 s). */
  readonly defaultDeadlineMs?: number;
  /** Attempts when the task names none (default 3). */
  readonly defaultMaxAttempts?: number;
  /** Watchers at most (default 10,000): a watch beyond is ignored. */
  readonly maxWatchers?: number;
  /** The planner is asked again when it has not answered within this (default 30 s). */
  readonly plannerRetryMs?: number;
  /** Default PLANNER_PATH. */
  readonly plannerPath?: string;
  /** Where a swarm's dispatcher is (default swarmDispatcherPath). */
  readonly swarmPath?: (swarm: string) => string;
}

export const TASK_QUEUE_DEFAULTS = {
  maxOpenTasks: 100_000,
  defaultDeadlineMs: 60_000,
  defaultMaxAttempts: 3,
  maxWatchers: 10_000,
  plannerRetryMs: 30_000,
} as const;

/** What a test or the status page can read of a running queue (shared by its incarnations). */
export interface TaskQueueProbe {
  /** Reports the lease fence refused. */
  readonly staleReports: () => number;
  readonly watchers: () => number;
}

/** Spawn options for its child spec under /app/agents: the control plane of the swarms, bounded. */
export const TASK_QUEUE_SPAWN = { name: TASK_QUEUE_NAME, mailbox: { capacity: 100_000, overflow: 'reject' }, priority: 'high' } as const;

export type TaskQueueFactory = ActorFactory<TaskQueueActorMsg> & { readonly probe: TaskQueueProbe };

export function taskQueueActor(options: TaskQueueOptions): TaskQueueFactory {
  for (const key of ['maxOpenTasks', 'defaultDeadlineMs', 'defaultMaxAttempts', 'maxWatchers', 'plannerRetryMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`task queue ${key} must be a positive integer`);
  }
  let settings: TaskQueueSettings | undefined;
  // The watchers do not know of restarts, so they outlive them; so does the last flush, which a
  // fresh incarnation waits for before it reads the store.
  const shared: QueueShared = {
    watchers: new Subscriptions<{ readonly ref: Ref<TaskEvent> }>(options.maxWatchers ?? TASK_QUEUE_DEFAULTS.maxWatchers),
    lastFlush: Promise.resolve(),
    staleReports: 0,
  };
  const factory: ActorFactory<TaskQueueActorMsg> = (ctx) => {
    settings ??= resolve(ctx.system, options);
    const s = newQueueState(ctx, settings, shared);
    return {
      preStart: async () => {
        await restore(s);
        shared.watchers.rewatch(ctx, (subscriber): TaskQueueActorMsg => ({ type: 'unwatch', subscriber }));
      },
      receive: (msg) => receive(s, msg),
    };
  };
  return Object.assign(factory, { probe: { staleReports: () => shared.staleReports, watchers: () => shared.watchers.size } });
}

function resolve(system: ActorSystem, o: TaskQueueOptions): TaskQueueSettings {
  const swarmPath = o.swarmPath ?? swarmDispatcherPath;
  return {
    store: new TaskStore(o.db),
    wallNow: o.wallNow ?? Date.now,
    maxOpenTasks: o.maxOpenTasks ?? TASK_QUEUE_DEFAULTS.maxOpenTasks,
    defaultDeadlineMs: o.defaultDeadlineMs ?? TASK_QUEUE_DEFAULTS.defaultDeadlineMs,
    defaultMaxAttempts: o.defaultMaxAttempts ?? TASK_QUEUE_DEFAULTS.defaultMaxAttempts,
    plannerRetryMs: o.plannerRetryMs ?? TASK_QUEUE_DEFAULTS.plannerRetryMs,
    planner: pathRef<PlannerMsg>(system, o.plannerPath ?? PLANNER_PATH),
    swarm: (name) => pathRef<SwarmQueueMsg>(system, swarmPath(name)),
  };
}

function receive(s: QueueState, msg: TaskQueueActorMsg): void {
  handle(s, msg);
  for (const parentId of s.parentsToCheck) checkAggregation(s, parentId);
  s.parentsToCheck.clear();
  flush(s);
}

function handle(s: QueueState, msg: TaskQueueActorMsg): void {
  switch (msg.type) {
    case 'submit':
      return submit(s, msg);
    case 'cancel':
      return cancel(s, msg);
    case 'get':
      return get(s, msg);
    case 'list':
      return list(s, msg);
    case 'watch':
      return watch(s, msg);
    case 'unwatch':
      return unwatch(s, msg);
    case 'planned':
      return planned(s, msg);
    case 'plan-failed':
      return planFailed(s, msg);
    case 'aggregated':
      return aggregated(s, msg);
    case 'swarm-up':
      return swarmUp(s, msg);
    case 'lease':
      return lease(s, msg);
    case 'held-leases':
      return heldLeases(s, msg);
    case 'progress':
      return progress(s, msg);
    case 'completed':
      return completed(s, msg);
    case 'agent-error':
      return agentError(s, msg);
    case 'agent-lost':
      return agentLost(s, msg);
    default:
      return handleInternal(s, msg);
  }
}

function handleInternal(s: QueueState, msg: Exclude<TaskQueueActorMsg, { type: TaskQueueMsg['type'] }>): void {
  switch (msg.type) {
    case 'flushed':
      if (msg.incarnation === s.ctx.incarnation) committed(s);
      return;
    case 'flush-failed':
      if (msg.incarnation === s.ctx.incarnation) commitFailed(s, msg.error);
      return;
    case 'lease-expired':
      return leaseExpired(s, msg);
    case 'planner-retry':
      return plannerRetry(s);
    case 'got':
      return got(s, msg);
    case 'listed':
      return listed(s, msg);
    case 'cancel-looked-up':
      return cancelLookedUp(s, msg);
    default:
      return unreachable(msg);
  }
}

function unreachable(value: never): never {
  throw new Error(`task queue: unhandled message ${String((value as { type?: unknown }).type)}`);
}
