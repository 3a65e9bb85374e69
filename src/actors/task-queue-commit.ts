// Group commit for the task queue. Handlers change tasks in memory and record the writes (put,
// insert); what must wait for durability (replies, task-events, work-available, messages to the
// planner, revokes) is an Effect of the batch. At the end of each message the batch goes to the
// store as one transaction if none is in flight; what arrives meanwhile joins the next batch, so
// under load many messages share one commit. Effects run only after their batch committed, in
// order. A failed commit answers the waiting requests `unavailable` and fails the actor: the
// restarted incarnation reloads what the store really holds.
import { isFinal } from '../tasks/transitions.ts';
import type { Effect, QueueState } from './task-queue-state.ts';
import { newBatch } from './task-queue-state.ts';

/** Runs `effect` once everything recorded so far is committed (at once when nothing is pending). */
export function afterCommit(s: QueueState, effect: Effect): void {
  const p = s.pending;
  if (p.writes.size > 0 || p.effects.length > 0) p.effects.push(effect);
  else if (s.inFlight !== undefined) s.inFlight.effects.push(effect);
  else effect.commit();
}

/** Starts committing the pending batch unless one is in flight (then it goes when that one is done). */
export function flush(s: QueueState): void {
  if (s.inFlight !== undefined) return;
  const batch = s.pending;
  if (batch.writes.size === 0) {
    if (batch.effects.length === 0 && batch.work.size === 0) return;
    s.pending = newBatch();
    s.inFlight = batch;
    committed(s);
    return;
  }
  s.pending = newBatch();
  s.inFlight = batch;
  const work = s.o.store.apply([...batch.writes.values()]);
  s.shared.lastFlush = work.catch(() => undefined);
  const incarnation = s.ctx.incarnation;
  s.ctx.pipeToSelf(
    work,
    () => ({ type: 'flushed', incarnation }),
    (error) => ({ type: 'flush-failed', incarnation, error }),
  );
}

/** The batch in flight is durable: what waited on it happens now. */
export function committed(s: QueueState): void {
  const batch = s.inFlight;
  if (batch === undefined) return;
  s.inFlight = undefined;
  for (const effect of batch.effects) effect.commit();
  for (const [swarm, capabilities] of batch.work) s.o.swarm(swarm).tell({ type: 'work-available', capabilities: [...capabilities] });
  for (const id of batch.finished) forgetIfDone(s, id);
}

/** The commit failed: tell whoever waits, then fail (supervision restarts the queue, which reloads). */
export function commitFailed(s: QueueState, error: unknown): never {
  for (const batch of [s.inFlight, s.pending]) for (const effect of batch?.effects ?? []) effect.fail?.();
  s.inFlight = undefined;
  s.pending = newBatch();
  throw error instanceof Error ? error : new Error(`task queue: commit failed: ${String(error)}`);
}

/**
 * A final task leaves memory once durable, unless its parent is still open (the parent's
 * aggregation reads it); a final parent takes its final subtasks with it.
 */
function forgetIfDone(s: QueueState, id: string): void {
  const entry = s.tasks.get(id);
  if (entry === undefined || !isFinal(entry.task.state) || s.pending.writes.has(id)) return;
  const parent = entry.task.parentId === undefined ? undefined : s.tasks.get(entry.task.parentId);
  if (parent !== undefined && !isFinal(parent.task.state)) return;
  s.tasks.delete(id);
  s.plannerAsks.delete(id);
  for (const sub of entry.task.subtasks) {
    const child = s.tasks.get(sub);
    if (child !== undefined && isFinal(child.task.state) && !s.pending.writes.has(sub)) s.tasks.delete(sub);
  }
}
