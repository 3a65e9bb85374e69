// The task queue's swarm side: leases, the reports on them, and the ends of attempts (agent lost,
// deadline missed). A report counts only when it names the current attempt: the agent holding the
// lease and its attempt number (the fence). Anything else is stale, because the task moved on
// (requeued, leased again, cancelled, done), and is ignored and counted.
import { parseAgentPlan, recipeOf } from '../tasks/recipes.ts';
import { TASK_LIMITS, withError } from '../tasks/new-task.ts';
import type { TaskRecord } from '../tasks/task.ts';
import { holdsLease } from '../tasks/transitions.ts';
import type { Leased, TaskQueueMsg } from './task-messages.ts';
import { afterCommit } from './task-queue-commit.ts';
import { revoke } from './task-queue-clients.ts';
import type { TaskQueueInternalMsg } from './task-queue-messages.ts';
import { applyPlan, failParent } from './task-queue-plans.ts';
import { put, type QueueState } from './task-queue-state.ts';

type Msg<T extends TaskQueueMsg['type']> = Extract<TaskQueueMsg, { type: T }>;
type Internal<T extends TaskQueueInternalMsg['type']> = Extract<TaskQueueInternalMsg, { type: T }>;

const MAX_CAPABILITIES = 64;

export function lease(s: QueueState, msg: Msg<'lease'>): void {
  const caps = Array.isArray(msg.capabilities) ? msg.capabilities.slice(0, MAX_CAPABILITIES).filter((c) => typeof c === 'string') : [];
  const id = typeof msg.agentId === 'string' && msg.agentId !== '' ? s.ready.best(String(msg.swarm), caps) : undefined;
  const task = id === undefined ? undefined : s.tasks.get(id)?.task;
  if (task === undefined) return msg.replyTo.tell({ type: 'no-work', agentId: msg.agentId });
  const attempt = task.attempts + 1;
  const leaseUntil = s.o.wallNow() + task.deadlineMs;
  const leased = put(s, { ...task, state: 'assigned', attempts: attempt, agentId: msg.agentId, leaseUntil, progress: 0 });
  // Answered once stored: an agent never works on an attempt a node crash could forget, so the
  // work is not done twice (answered before the commit, a lease lost with the node was leased
  // again to another agent while the first one finished it: the node-kill tests saw it).
  afterCommit(s, {
    commit: () => msg.replyTo.tell({ type: 'leased', task: leased, agentId: msg.agentId, attempt, leaseUntil }),
    fail: () => msg.replyTo.tell({ type: 'no-work', agentId: msg.agentId }),
  });
}

/**
 * The attempts leased to an agent in a swarm, for the swarm that admits it anew: after the node
 * (or the swarm) restarted, the leases restored from the store go on with the agent that holds
 * them, which resumes them (or sends again a report the node lost), rather than wait out their
 * deadlines and be done again. Answered once what is pending is stored.
 */
export function heldLeases(s: QueueState, msg: Msg<'held-leases'>): void {
  const agentId = String(msg.agentId);
  const leases: Leased[] = [];
  for (const id of s.byAgent.get(agentId) ?? []) {
    const task = s.tasks.get(id)?.task;
    if (task === undefined || !holdsLease(task) || task.swarm !== msg.swarm || task.agentId !== agentId) continue;
    leases.push({ type: 'leased', task, agentId, attempt: task.attempts, leaseUntil: task.leaseUntil ?? s.o.wallNow() });
  }
  const answer = (found: readonly Leased[]): void => msg.replyTo.tell({ type: 'held-leases', agentId, leases: found });
  afterCommit(s, { commit: () => answer(leases), fail: () => answer([]) });
}

/** The task if the report names its current attempt; undefined (and counted) otherwise. */
function fenced(s: QueueState, taskId: unknown, agentId: unknown, attempt: unknown): TaskRecord | undefined {
  const task = typeof taskId === 'string' ? s.tasks.get(taskId)?.task : undefined;
  if (task !== undefined && holdsLease(task) && task.agentId === agentId && task.attempts === attempt) return task;
  s.shared.staleReports++;
  return undefined;
}

export function progress(s: QueueState, msg: Msg<'progress'>): void {
  const task = fenced(s, msg.taskId, msg.agentId, msg.attempt);
  if (task === undefined) return;
  const value = Number.isFinite(msg.progress) ? Math.min(1, Math.max(0, msg.progress)) : task.progress;
  if (task.state === 'running' && value === task.progress) return;
  put(s, { ...task, state: 'running', progress: value });
}

export function completed(s: QueueState, msg: Msg<'completed'>): void {
  const task = fenced(s, msg.taskId, msg.agentId, msg.attempt);
  if (task === undefined) return;
  const result = typeof msg.result === 'string' ? msg.result : '';
  const ended = endAttempt(task);
  if (msg.success !== true)
    return void put(s, { ...ended, state: 'failed', errors: withError(task.errors, `attempt ${task.attempts}: ${result}`) });
  if (Buffer.byteLength(result) > TASK_LIMITS.resultBytes)
    return void put(s, {
      ...ended,
      state: 'failed',
      errors: withError(task.errors, `result larger than ${TASK_LIMITS.resultBytes} bytes`),
    });
  if (recipeOf(task)?.kind === 'agent-plans' && task.subtasks.length === 0) return planFromAgent(s, ended, result);
  // A done task keeps the agent whose attempt did it: clients and the graph say who.
  put(s, { ...ended, agentId: task.agentId, state: 'done', progress: 1, result });
}

/** A planning agent's result becomes the parent's subtasks; a result that is no plan fails it. */
function planFromAgent(s: QueueState, parent: TaskRecord, result: string): void {
  const plan = parseAgentPlan(result);
  const running = put(s, { ...parent, state: 'running', result: undefined });
  if (!plan.ok) return failParent(s, running, `the agent's plan is invalid: ${plan.message}`);
  applyPlan(s, running, plan.value);
}

export function agentError(s: QueueState, msg: Msg<'agent-error'>): void {
  const task = fenced(s, msg.taskId, msg.agentId, msg.attempt);
  if (task === undefined) return;
  const reason = `attempt ${task.attempts}: ${String(msg.message)}`;
  if (msg.recoverable === true) return requeueOrFail(s, task, reason);
  put(s, { ...endAttempt(task), state: 'failed', errors: withError(task.errors, reason) });
}

export function agentLost(s: QueueState, msg: Msg<'agent-lost'>): void {
  const held = s.byAgent.get(String(msg.agentId));
  for (const id of [...(held ?? [])]) {
    const task = s.tasks.get(id)?.task;
    if (task !== undefined && holdsLease(task)) requeueOrFail(s, task, `attempt ${task.attempts}: agent lost: ${String(msg.reason)}`);
  }
}

export function leaseExpired(s: QueueState, msg: Internal<'lease-expired'>): void {
  const task = s.tasks.get(msg.taskId)?.task;
  if (task === undefined || !holdsLease(task) || task.attempts !== msg.attempt) return;
  s.leaseTimers.delete(task.id);
  revoke(s, task, 'deadline missed');
  requeueOrFail(s, task, `attempt ${task.attempts}: deadline missed`);
}

/** The attempt ended without an outcome: back to the queue while attempts remain, failed after. */
function requeueOrFail(s: QueueState, task: TaskRecord, reason: string): void {
  const errors = withError(task.errors, reason);
  if (task.attempts < task.maxAttempts) put(s, { ...endAttempt(task), state: 'queued', errors, progress: 0 });
  else put(s, { ...endAttempt(task), state: 'failed', errors: withError(errors, `gave up after ${task.attempts} attempts`) });
}

function endAttempt(task: TaskRecord): TaskRecord {
  return { ...task, agentId: undefined, leaseUntil: undefined };
}

/** A swarm (re)started: it hears of every capability it has queued work for. */
export function swarmUp(s: QueueState, msg: Msg<'swarm-up'>): void {
  const swarm = String(msg.swarm);
  const capabilities = s.ready.capabilities(swarm);
  if (capabilities.length > 0) afterCommit(s, { commit: () => s.o.swarm(swarm).tell({ type: 'work-available', capabilities }) });
}
