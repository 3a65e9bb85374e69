// "At most R restarts in T ms": the supervisor's own failure history. Drop restarts older than the
// window, add this one, compare with the limit. Exceeding it makes the supervisor fail (escalate).

export interface Intensity {
  readonly maxRestarts: number;
  readonly withinMs: number;
}

export const DEFAULT_INTENSITY: Intensity = { maxRestarts: 10, withinMs: 10_000 };

export function validateIntensity(i: Intensity): Intensity {
  if (!Number.isInteger(i.maxRestarts) || i.maxRestarts < 0) throw new RangeError('maxRestarts must be an integer >= 0');
  if (!Number.isFinite(i.withinMs) || i.withinMs <= 0) throw new RangeError('withinMs must be positive');
  return i;
}

export class RestartHistory {
  private readonly restarts: number[] = [];

  constructor(readonly intensity: Intensity) {}

  /** Records a restart at `now`; returns false when that restart exceeds the intensity. */
  record(now: number): boolean {
    const horizon = now - this.intensity.withinMs;
    while (this.restarts.length > 0 && this.restarts[0]! <= horizon) this.restarts.shift();
    this.restarts.push(now);
    return this.restarts.length <= this.intensity.maxRestarts;
  }

  get recent(): number {
    return this.restarts.length;
  }
}
