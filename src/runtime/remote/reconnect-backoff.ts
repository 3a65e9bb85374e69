// How long to wait before the next dial after `attempt` failed ones: exponential from min to max,
// scaled by a random factor in [1 - jitter, 1 + jitter] so that systems that lost each other at the
// same moment do not all dial again at the same moment.

export interface ReconnectSchedule {
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly reconnectJitter: number;
}

/** `attempt` counts from 1; `random` is uniform in [0, 1). */
export function reconnectDelay(attempt: number, s: ReconnectSchedule, random: () => number): number {
  const base = Math.min(s.reconnectMaxMs, s.reconnectMinMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.max(0, Math.round(base * (1 + s.reconnectJitter * (2 * random() - 1))));
}
