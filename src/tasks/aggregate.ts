// The aggregation rule: what a parent becomes once every subtask is final. Done when every
// subtask is done, failed otherwise; its result lists each subtask's outcome (failed ones with
// their reason), kept within the result bound by shortening the subtasks' results evenly.
import { TASK_LIMITS, truncateBytes } from './new-task.ts';
import type { TaskRecord } from './task.ts';

export interface Aggregate {
  readonly success: boolean;
  readonly result: string;
}

interface Outcome {
  readonly id: string;
  readonly state: TaskRecord['state'];
  readonly result: string | null;
  readonly reason?: string;
}

export function aggregateSubtasks(subtasks: readonly TaskRecord[]): Aggregate {
  const done = subtasks.filter((t) => t.state === 'done').length;
  const failed = subtasks.length - done;
  const render = (budget: number | undefined): string =>
    JSON.stringify({ subtasks: subtasks.map((t) => outcome(t, budget)), done, failed });
  let result = render(undefined);
  if (Buffer.byteLength(result) > TASK_LIMITS.resultBytes) {
    const overhead = Buffer.byteLength(render(0));
    const budget = Math.floor((TASK_LIMITS.resultBytes - overhead) / Math.max(1, subtasks.length) / 2);
    result = render(Math.max(0, budget));
    // Too many subtasks to say even their ids within the bound: say the counts.
    if (Buffer.byteLength(result) > TASK_LIMITS.resultBytes) result = JSON.stringify({ subtasks: [], done, failed, truncated: true });
  }
  return { success: failed === 0, result };
}

function outcome(t: TaskRecord, budget: number | undefined): Outcome {
  const result = t.result === undefined ? null : budget === undefined ? t.result : truncateBytes(t.result, budget);
  const reason = t.state === 'done' ? undefined : t.errors.at(-1);
  const bounded = reason === undefined || budget === undefined ? reason : truncateBytes(reason, budget);
  return bounded === undefined ? { id: t.id, state: t.state, result } : { id: t.id, state: t.state, result, reason: bounded };
}
