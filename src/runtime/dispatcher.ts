// Runs ready actors. One shared run queue gives each actor `throughput` messages per turn (fair
// between actors); once a macrotask has run for `turnBudgetMs` (or handled `turnBudget` messages)
// the dispatcher yields to the event loop with setImmediate, so sockets and timers are served
// even when actors never go idle. While some async handler is awaiting, the dispatcher also lets
// the microtasks queued meanwhile run after each pass over the queue (the handler's continuation
// once its promise has settled), so an actor awaiting a resolved promise waits one pass, not the
// whole turn budget; when none is awaiting, passes follow each other in one loop.

export interface Runnable {
  /** True while the runnable sits in the run queue. */
  queued: boolean;
  /** Handles up to `quota` messages; returns how many it handled. */
  run(quota: number): number;
  /** Whether it has messages it can handle right now. */
  readyToRun(): boolean;
  readonly throughput: number;
}

export interface DispatcherOptions {
  /** Most messages handled per macrotask before yielding to I/O. */
  readonly turnBudget: number;
  /** Most milliseconds spent handling messages per macrotask before yielding to I/O. */
  readonly turnBudgetMs: number;
}

export const DEFAULT_DISPATCHER: DispatcherOptions = { turnBudget: 200_000, turnBudgetMs: 2 };

export class Dispatcher {
  private queue: Runnable[] = [];
  private head = 0;
  private drainScheduled = false;
  /** Messages handled since the event loop last got a turn, and when that turn started. */
  private handledSinceYield = 0;
  private turnStartedAt = 0;
  private yieldWatch = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER,
    /** Whether some async handler is awaiting: its continuation is a microtask to let through. */
    private readonly awaiting: () => boolean = () => false,
  ) {}

  get queuedCount(): number {
    return this.queue.length - this.head;
  }

  schedule(r: Runnable): void {
    if (r.queued) return;
    r.queued = true;
    this.queue.push(r);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      if (this.overBudget()) setImmediate(this.drainAfterYield);
      else queueMicrotask(this.drain);
    }
  }

  /** Resolves once the run queue is empty (async handlers may still be running). */
  whenDrained(): Promise<void> {
    if (this.queuedCount === 0 && !this.drainScheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly drainAfterYield = (): void => {
    this.handledSinceYield = 0;
    this.turnStartedAt = performance.now();
    this.drain();
  };

  private readonly drain = (): void => {
    this.watchForYield();
    // A pass is the runnables queued when it starts; those queued during it go in the next one.
    let passEnd = this.queue.length;
    while (this.head < this.queue.length && !this.overBudget()) {
      if (this.head === passEnd) {
        if (this.awaiting()) break;
        passEnd = this.queue.length;
      }
      const r = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Runnable;
      r.queued = false;
      this.handledSinceYield += r.run(r.throughput);
      // A self-tell during run() may have queued it already.
      if (!r.queued && r.readyToRun()) {
        r.queued = true;
        this.queue.push(r);
      }
    }
    this.compact();
    if (this.head < this.queue.length) {
      // More to run: after the microtasks queued during this pass if within budget, else after I/O.
      if (this.overBudget()) setImmediate(this.drainAfterYield);
      else queueMicrotask(this.drain);
      return;
    }
    this.drainScheduled = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  };

  private overBudget(): boolean {
    return this.handledSinceYield >= this.options.turnBudget || performance.now() - this.turnStartedAt >= this.options.turnBudgetMs;
  }

  /** Starts a new budget at the first drain of a macrotask, reset once the event loop has had its turn. */
  private watchForYield(): void {
    if (this.yieldWatch) return;
    this.yieldWatch = true;
    this.turnStartedAt = performance.now();
    setImmediate(() => {
      this.yieldWatch = false;
      this.handledSinceYield = 0;
    });
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
