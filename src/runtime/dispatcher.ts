// Runs ready actors. One shared run queue gives each actor `throughput` messages per turn (fair
// between actors); once a macrotask has run for `turnBudgetMs` (or handled `turnBudget` messages)
// the dispatcher yields to the event loop with setImmediate, so sockets and timers are served
// even when actors never go idle. While some async handler is awaiting, the dispatcher also lets
// the microtasks queued meanwhile run after each pass over the queue (the handler's continuation
// once its promise has settled), so an actor awaiting a resolved promise waits one pass, not the
// whole turn budget; when none is awaiting, passes follow each other in one loop.
//
// Three priorities, as Erlang has its low, normal and high processes:
// - 'low' (bulk work, such as a chain of self-told slices) runs when no normal actor is waiting,
//   and otherwise once per LOW_SHARE normal runs: slowed under load, never starved. A normal
//   actor's message waits behind the one slice that is running, not behind the rest of the chain.
// - 'high' (the control plane: client sessions, the settings store) runs before anything else
//   waiting, but after HIGH_SHARE high runs in a row the others get one run, so a flood of control
//   messages slows the data plane and never stops it. When a high actor's handler is left awaiting
//   (a write to the store), the pass ends at once, so its continuation runs next rather than after
//   every runnable queued behind it.

/** 'high' runs before the others, 'low' after them (see above). */
export type Priority = 'high' | 'normal' | 'low';

/** Normal runs in a row after which a waiting low-priority runnable gets its turn anyway. */
export const LOW_SHARE = 8;

/** High runs in a row after which a waiting normal or low runnable gets its turn anyway. */
export const HIGH_SHARE = 16;

export interface Runnable {
  /** True while the runnable sits in the run queue. */
  queued: boolean;
  /** Handles up to `quota` messages; returns how many it handled. */
  run(quota: number): number;
  /** Whether it has messages it can handle right now. */
  readyToRun(): boolean;
  /** True while one of its handlers is awaiting (its continuation is still to run). */
  readonly isBusy: boolean;
  readonly throughput: number;
  readonly priority: Priority;
}

export interface DispatcherOptions {
  /** Most messages handled per macrotask before yielding to I/O. */
  readonly turnBudget: number;
  /** Most milliseconds spent handling messages per macrotask before yielding to I/O. */
  readonly turnBudgetMs: number;
}

export const DEFAULT_DISPATCHER: DispatcherOptions = { turnBudget: 200_000, turnBudgetMs: 2 };

/** A FIFO of runnables: an array read from `head`, compacted as it drains. */
class RunQueue {
  private items: Runnable[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(r: Runnable): void {
    this.items.push(r);
  }

  shift(): Runnable {
    const r = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Runnable;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }
}

export class Dispatcher {
  private readonly high = new RunQueue();
  private readonly normal = new RunQueue();
  private readonly low = new RunQueue();
  /** High runs while a lower-priority runnable was waiting, since one last ran. */
  private highRunsInARow = 0;
  /** Normal runs while a low-priority runnable was waiting, since one last ran. */
  private normalRunsInARow = 0;
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
    return this.high.length + this.normal.length + this.low.length;
  }

  schedule(r: Runnable): void {
    if (r.queued) return;
    this.enqueue(r);
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
    // A pass is as many runs as there were runnables queued when it started.
    let passLeft = this.queuedCount;
    while (this.queuedCount > 0 && !this.overBudget()) {
      if (passLeft === 0) {
        if (this.awaiting()) break;
        passLeft = this.queuedCount;
      }
      passLeft--;
      const r = this.next();
      r.queued = false;
      this.handledSinceYield += r.run(r.throughput);
      // A self-tell during run() may have queued it already.
      if (!r.queued && r.readyToRun()) this.enqueue(r);
      // A high actor left awaiting: let its continuation (a microtask) run before the rest.
      if (r.priority === 'high' && r.isBusy) break;
    }
    if (this.queuedCount > 0) {
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

  private enqueue(r: Runnable): void {
    r.queued = true;
    if (r.priority === 'high') this.high.push(r);
    else if (r.priority === 'low') this.low.push(r);
    else this.normal.push(r);
  }

  /**
   * The next to run: high first, unless HIGH_SHARE of them ran in a row while others waited; then
   * normal, with a low one when no normal is waiting or after LOW_SHARE normal runs in a row.
   */
  private next(): Runnable {
    const lowerWaiting = this.normal.length + this.low.length > 0;
    if (this.high.length > 0 && (!lowerWaiting || this.highRunsInARow < HIGH_SHARE)) {
      if (lowerWaiting) this.highRunsInARow++;
      return this.high.shift();
    }
    this.highRunsInARow = 0;
    if (this.low.length > 0 && (this.normal.length === 0 || this.normalRunsInARow >= LOW_SHARE)) {
      this.normalRunsInARow = 0;
      return this.low.shift();
    }
    if (this.low.length > 0) this.normalRunsInARow++;
    return this.normal.shift();
  }

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
}
