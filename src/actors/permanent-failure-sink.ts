// Where deliveries go that the retry actor gave up on. The persistence layer provides a durable
// sink (a PostgreSQL table); this in-memory one keeps the newest `capacity` failures, counts
// what it had to drop, and lets tests and operators observe what failed.
import type { DeadLetter } from '../runtime/dead-letter.ts';
import type { DeliveryResult } from '../runtime/transport.ts';

export type GiveUpReason = Exclude<DeliveryResult, 'delivered'> | 'retry-queue-full' | 'interrupted';

export interface PermanentFailure {
  readonly letter: DeadLetter;
  /** Redelivery attempts made before giving up (0 when none could be made). */
  readonly attempts: number;
  readonly lastResult: GiveUpReason;
  readonly time: number;
}

export interface PermanentFailureSink {
  record(failure: PermanentFailure): Promise<void>;
}

export class InMemoryFailureSink implements PermanentFailureSink {
  private readonly items: PermanentFailure[] = [];
  private listeners: ((f: PermanentFailure) => void)[] = [];
  /** Failures evicted because the sink was full. */
  dropped = 0;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('sink capacity must be a positive integer');
  }

  record(failure: PermanentFailure): Promise<void> {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(failure);
    for (const l of this.listeners) l(failure);
    return Promise.resolve();
  }

  /** Oldest first. */
  failures(): readonly PermanentFailure[] {
    return [...this.items];
  }

  /** Calls `listener` for every failure recorded from now on. */
  onRecord(listener: (f: PermanentFailure) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }
}
