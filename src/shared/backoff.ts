// Exponential backoff between restarts, as data:
//   delay(n) = min(maxMs, minMs * 2^(n-1)) * (1 + randomFactor * r),  r uniform in [0, 1)
// where n counts restarts since the child last ran stably for `resetAfterMs`.

export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** 0 = no jitter; 0.2 = up to 20% added so restarted siblings do not stampede together. */
  readonly randomFactor: number;
  /** A child that ran this long since its last restart starts again from attempt 1. */
  readonly resetAfterMs: number;
  /** Messages kept while a restart waits out its delay; more go to dead letters. */
  readonly stashCapacity: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  minMs: 100,
  maxMs: 30_000,
  randomFactor: 0.2,
  resetAfterMs: 60_000,
  stashCapacity: 1_000,
};

/** No delay at all: restart as soon as the old instance is torn down. */
export const IMMEDIATE: BackoffOptions = { minMs: 0, maxMs: 0, randomFactor: 0, resetAfterMs: 0, stashCapacity: 1_000 };

export function validateBackoff(b: BackoffOptions): BackoffOptions {
  const finiteNonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;
  if (![b.minMs, b.maxMs, b.randomFactor, b.resetAfterMs].every(finiteNonNegative)) {
    throw new RangeError('backoff values must be finite and non-negative');
  }
  if (b.maxMs < b.minMs) throw new RangeError(`backoff maxMs (${b.maxMs}) is below minMs (${b.minMs})`);
  if (!Number.isInteger(b.stashCapacity) || b.stashCapacity < 0) throw new RangeError('stashCapacity must be an integer >= 0');
  return b;
}

/** The delay before restart number `attempt` (1-based), with `random` in [0, 1). */
export function backoffDelay(options: BackoffOptions, attempt: number, random: number): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for large exponents; min() keeps the cap exact.
  const base = Math.min(options.maxMs, options.minMs * Math.pow(2, exponent));
  return base * (1 + options.randomFactor * random);
}
