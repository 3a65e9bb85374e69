// Batches broadcasts with a leading edge: the first change after a quiet spell goes out at once
// (an isolated change reaches the other clients in milliseconds), then changes are held until
// `intervalMs` has passed since the last send or `maxBatch` are waiting, whichever comes first.
// The pending list never exceeds maxBatch.
import type { Clock, TimerHandle } from '../shared/clock.ts';

export class BroadcastBatcher<T> {
  private pending: T[] = [];
  private lastSentAt = -Infinity;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly maxBatch: number,
    private readonly send: (batch: T[]) => void,
  ) {}

  add(items: readonly T[]): void {
    for (const item of items) {
      this.pending.push(item);
      if (this.pending.length >= this.maxBatch) this.flush();
    }
    if (this.pending.length === 0) return;
    const quietFor = this.clock.now() - this.lastSentAt;
    if (quietFor >= this.intervalMs && this.timer === undefined) this.flush();
    else this.timer ??= this.clock.setTimer(this.intervalMs - quietFor, () => this.flush());
  }

  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.lastSentAt = this.clock.now();
    this.send(batch);
  }

  dispose(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pending = [];
  }
}
