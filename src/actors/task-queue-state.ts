// What one incarnation of the task queue holds, all of it rebuilt from the store at start: the open
// tasks (and the final subtasks of open parents, which aggregation reads), the ready queue, the
// leases by agent with their deadline timers, and the batch of writes not yet committed. The one
// primitive that changes a task is `put`: it checks the move, keeps every index in step, and
// records the write and the task-event that goes out once the write commits.
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { TimerHandle } from '../shared/clock.ts';
import { ReadyQueue } from '../tasks/ready-queue.ts';
import type { TaskRecord } from '../tasks/task.ts';
import type { TaskStore, TaskWrite } from '../tasks/task-store.ts';
import { assertMove, holdsLease, isFinal } from '../tasks/transitions.ts';
import type { Subscriptions } from './subscriptions.ts';
import type { PlannerMsg, SwarmQueueMsg, TaskEvent } from './task-messages.ts';
import type { TaskQueueActorMsg } from './task-queue-messages.ts';

export interface TaskQueueSettings {
  readonly store: TaskStore;
  readonly wallNow: () => number;
  readonly maxOpenTasks: number;
  readonly defaultDeadlineMs: number;
  readonly defaultMaxAttempts: number;
  readonly plannerRetryMs: number;
  readonly planner: Ref<PlannerMsg>;
  readonly swarm: (name: string) => Ref<SwarmQueueMsg>;
}

/** What outlives an incarnation: the watchers (they never hear of a restart) and the last flush. */
export interface QueueShared {
  readonly watchers: Subscriptions<{ readonly ref: Ref<TaskEvent> }>;
  /** The newest flush's outcome: a fresh incarnation reads the store only after it settled. */
  lastFlush: Promise<void>;
  /** Reports refused by the lease fence (stale agent or attempt), for tests and metrics. */
  staleReports: number;
}

export interface Entry {
  task: TaskRecord;
  /** The revision the store will hold once every recorded write has committed. */
  revision: number;
}

/** Something that happens only once the writes recorded before it are committed. */
export interface Effect {
  commit(): void;
  /** The commit failed: what a waiting requester is told instead. */
  fail?(): void;
}

export interface Batch {
  readonly writes: Map<string, TaskWrite>;
  readonly effects: Effect[];
  /** Swarm -> capabilities that got queued work in this batch (one work-available each). */
  readonly work: Map<string, Set<string>>;
  /** Final tasks to drop from memory once committed. */
  readonly finished: Set<string>;
}

export interface QueueState {
  readonly ctx: ActorContext<TaskQueueActorMsg>;
  readonly o: TaskQueueSettings;
  readonly shared: QueueShared;
  readonly tasks: Map<string, Entry>;
  readonly ready: ReadyQueue;
  readonly byAgent: Map<string, Set<string>>;
  readonly leaseTimers: Map<string, TimerHandle>;
  /** Parents waiting on the planner (a plan or an aggregate) -> when it was last asked (clock ms). */
  readonly plannerAsks: Map<string, number>;
  /** Parents with a subtask that became final: checked for aggregation after the message. */
  readonly parentsToCheck: Set<string>;
  /** Tasks in `tasks` that are not final. */
  open: number;
  pending: Batch;
  inFlight: Batch | undefined;
}

export function newBatch(): Batch {
  return { writes: new Map(), effects: [], work: new Map(), finished: new Set() };
}

export function newQueueState(ctx: ActorContext<TaskQueueActorMsg>, o: TaskQueueSettings, shared: QueueShared): QueueState {
  return {
    ctx,
    o,
    shared,
    tasks: new Map(),
    ready: new ReadyQueue(),
    byAgent: new Map(),
    leaseTimers: new Map(),
    plannerAsks: new Map(),
    parentsToCheck: new Set(),
    open: 0,
    pending: newBatch(),
    inFlight: undefined,
  };
}

/** A task loaded from the store: indexed, nothing written. */
export function adopt(s: QueueState, task: TaskRecord, revision: number): void {
  s.tasks.set(task.id, { task, revision });
  if (!isFinal(task.state)) s.open++;
  index(s, undefined, task);
}

/** A new task: indexed, its insert recorded. */
export function insert(s: QueueState, task: TaskRecord): void {
  const entry = { task, revision: 1 };
  s.tasks.set(task.id, entry);
  s.open++;
  index(s, undefined, task);
  s.pending.writes.set(task.id, { task, expectedRevision: 0 });
  announce(s, task);
}

/** Changes a task in memory, records the write; throws on a move task.ts does not allow. */
export function put(s: QueueState, next: TaskRecord): TaskRecord {
  const entry = s.tasks.get(next.id);
  if (entry === undefined) throw new Error(`task queue: ${next.id} is not in memory`);
  const prev = entry.task;
  assertMove(next.id, prev.state, next.state);
  const task = { ...next, updatedMs: s.o.wallNow() };
  entry.task = task;
  if (!isFinal(prev.state) && isFinal(task.state)) s.open--;
  index(s, prev, task);
  const recorded = s.pending.writes.get(task.id);
  if (recorded === undefined) {
    s.pending.writes.set(task.id, { task, expectedRevision: entry.revision });
    entry.revision++;
  } else {
    s.pending.writes.set(task.id, { task, expectedRevision: recorded.expectedRevision });
  }
  announce(s, task);
  return task;
}

function announce(s: QueueState, task: TaskRecord): void {
  const batch = s.pending;
  if (task.state === 'queued' && task.capability !== '') {
    let caps = batch.work.get(task.swarm);
    if (caps === undefined) batch.work.set(task.swarm, (caps = new Set()));
    caps.add(task.capability);
  }
  if (isFinal(task.state)) {
    batch.finished.add(task.id);
    if (task.parentId !== undefined) s.parentsToCheck.add(task.parentId);
  }
  batch.effects.push({ commit: () => publish(s, task) });
}

function publish(s: QueueState, task: TaskRecord): void {
  for (const w of s.shared.watchers.values()) w.ref.tell({ type: 'task-event', task });
}

/** Keeps the ready queue, the leases by agent and their timers in step with a change. */
function index(s: QueueState, prev: TaskRecord | undefined, next: TaskRecord): void {
  if (next.state === 'queued' && next.capability !== '') s.ready.add(next);
  else s.ready.remove(next.id);
  const held = prev !== undefined && holdsLease(prev);
  const holds = holdsLease(next);
  if (held && (!holds || prev.agentId !== next.agentId || prev.attempts !== next.attempts)) {
    s.byAgent.get(prev.agentId!)?.delete(prev.id);
    if (s.byAgent.get(prev.agentId!)?.size === 0) s.byAgent.delete(prev.agentId!);
    s.leaseTimers.get(prev.id)?.cancel();
    s.leaseTimers.delete(prev.id);
  }
  if (holds && !s.leaseTimers.has(next.id)) {
    let mine = s.byAgent.get(next.agentId!);
    if (mine === undefined) s.byAgent.set(next.agentId!, (mine = new Set()));
    mine.add(next.id);
    const delay = Math.max(0, (next.leaseUntil ?? 0) - s.o.wallNow());
    s.leaseTimers.set(next.id, s.ctx.scheduleOnce(delay, { type: 'lease-expired', taskId: next.id, attempt: next.attempts }));
  }
}
