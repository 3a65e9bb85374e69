// How an incarnation of the task queue starts: from the store, never from memory. It waits for the
// previous incarnation's last commit to settle, loads the open tasks in pages (and the final
// subtasks of open parents), and rebuilds its indexes: leases get their timers back with the time
// they have left (none left: missed at once), parents without a plan are planned again, parents
// whose subtasks are all final are aggregated, and every swarm with queued work hears of it.
import { plannedByPlanner } from '../tasks/recipes.ts';
import { MAX_SUBTASKS } from '../tasks/recipes.ts';
import { isFinal } from '../tasks/transitions.ts';
import { askPlanner, checkAggregation } from './task-queue-plans.ts';
import { adopt, type QueueState } from './task-queue-state.ts';

const PAGE = 1_000;

export async function restore(s: QueueState): Promise<void> {
  await s.shared.lastFlush;
  for (let after = ''; ;) {
    const page = await s.o.store.loadOpen(after, PAGE);
    for (const { task, revision } of page) adopt(s, task, revision);
    if (page.length < PAGE) break;
    after = page.at(-1)!.task.id;
  }
  const parents = [...s.tasks.values()].map((e) => e.task).filter((t) => t.subtasks.length > 0);
  for (const parent of parents) {
    const subs = await s.o.store.list({ parentId: parent.id, limit: MAX_SUBTASKS });
    for (const { task, revision } of subs) if (isFinal(task.state) && !s.tasks.has(task.id)) adopt(s, task, revision);
  }
  resume(s);
}

function resume(s: QueueState): void {
  for (const { task } of s.tasks.values()) {
    if (isFinal(task.state)) continue;
    if (task.subtasks.length === 0 && task.state === 'running' && plannedByPlanner(task)) askPlanner(s, task);
    if (task.subtasks.length > 0) checkAggregation(s, task.id);
  }
  for (const swarm of s.ready.swarms()) s.o.swarm(swarm).tell({ type: 'work-available', capabilities: s.ready.capabilities(swarm) });
  s.ctx.schedulePeriodic('planner-retry', Math.max(1, s.o.plannerRetryMs / 2), { type: 'planner-retry' });
}
