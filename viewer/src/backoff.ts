// Reconnect delays: exponential from minMs to maxMs with full jitter, reset after a connection
// that stayed up. Pure policy: the caller owns the timer and the randomness.

export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { minMs: 250, maxMs: 10_000, factor: 2 };

/** The delay before reconnect attempt `attempt` (0-based); `random` is in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * policy.factor ** attempt);
  return Math.round(policy.minMs / 2 + random * (ceiling - policy.minMs / 2));
}
