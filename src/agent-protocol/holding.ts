// AgentRegistered.holding entries: "task_id:attempt". A task id may itself hold colons, so the
// attempt is what follows the last one.

export interface HeldTask {
  readonly taskId: string;
  readonly attempt: number;
}

export function formatHolding(held: HeldTask): string {
  if (!Number.isInteger(held.attempt) || held.attempt < 0 || held.attempt > 0xffffffff) {
    throw new RangeError(`holding attempt must be a u32, got ${held.attempt}`);
  }
  return `${held.taskId}:${held.attempt}`;
}

/** The entry, or undefined when it is not "id:attempt" with a non-empty id and a u32 attempt. */
export function parseHolding(entry: string): HeldTask | undefined {
  const colon = entry.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const digits = entry.slice(colon + 1);
  if (!/^\d{1,10}$/.test(digits)) return undefined;
  const attempt = Number(digits);
  return attempt > 0xffffffff ? undefined : { taskId: entry.slice(0, colon), attempt };
}
