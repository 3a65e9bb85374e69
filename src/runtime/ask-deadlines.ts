// Ask timeouts without a timer per ask. Asks with the same timeout expire in the order they were
// made (the clock is monotonic), so each distinct timeout keeps a FIFO of (deadline, id) and one
// armed timer for its head. An answered ask is not removed from its FIFO: its id is simply no
// longer pending when its deadline comes, so a FIFO entry costs two numbers, whatever happened.
import type { Clock, TimerHandle } from '../shared/clock.ts';

class DeadlineQueue {
  deadlines: number[] = [];
  ids: number[] = [];
  head = 0;
  timer: TimerHandle | undefined;

  get size(): number {
    return this.deadlines.length - this.head;
  }

  compact(): void {
    if (this.head > 4096 && this.head * 2 > this.deadlines.length) {
      this.deadlines = this.deadlines.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
  }
}

export class AskDeadlines {
  private readonly queues = new Map<number, DeadlineQueue>();

  constructor(
    private readonly clock: Clock,
    /** Called for each id whose deadline has passed (the caller ignores answered ones). */
    private readonly expire: (id: number) => void,
  ) {}

  add(id: number, timeoutMs: number): void {
    let queue = this.queues.get(timeoutMs);
    if (queue === undefined) {
      queue = new DeadlineQueue();
      this.queues.set(timeoutMs, queue);
    }
    queue.deadlines.push(this.clock.now() + timeoutMs);
    queue.ids.push(id);
    if (queue.timer === undefined) this.arm(timeoutMs, queue);
  }

  private arm(timeoutMs: number, queue: DeadlineQueue): void {
    const due = queue.deadlines[queue.head]!;
    queue.timer = this.clock.setTimer(due - this.clock.now(), () => this.fire(timeoutMs, queue));
  }

  private fire(timeoutMs: number, queue: DeadlineQueue): void {
    queue.timer = undefined;
    const now = this.clock.now();
    while (queue.size > 0 && queue.deadlines[queue.head]! <= now) {
      const id = queue.ids[queue.head]!;
      queue.head++;
      this.expire(id);
    }
    if (queue.size === 0) {
      this.queues.delete(timeoutMs);
      return;
    }
    queue.compact();
    this.arm(timeoutMs, queue);
  }

  /** Cancels every timer (system shutdown). */
  clear(): void {
    for (const q of this.queues.values()) q.timer?.cancel();
    this.queues.clear();
  }
}
