// The task changes a watcher has not been sent yet, latest wins per task: a client that reads
// slowly (or whose socket is gone while its session waits for a resume) loses the intermediate
// states of a task but always gets its latest. Bounded by the number of tasks held; past that the
// task waiting longest is dropped (the client lists the tasks to catch up) and counted.
import type { TaskRecord } from '../tasks/task.ts';

export class TaskBacklog {
  /** In the order the tasks first waited: the one waiting longest goes first. */
  private readonly waiting = new Map<string, TaskRecord>();
  /** States replaced by a newer one of the same task before they were sent. */
  coalesced = 0;
  /** Tasks dropped because too many waited. */
  dropped = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.waiting.size;
  }

  put(task: TaskRecord): void {
    const held = this.waiting.get(task.id);
    if (held !== undefined) {
      // An out-of-order older state never replaces a newer one.
      if (held.updatedMs > task.updatedMs) return;
      this.coalesced++;
      this.waiting.set(task.id, task);
      return;
    }
    if (this.waiting.size >= this.capacity) {
      const oldest = this.waiting.keys().next().value;
      if (oldest !== undefined) this.waiting.delete(oldest);
      this.dropped++;
    }
    this.waiting.set(task.id, task);
  }

  /** The task waiting longest, taken out; undefined when none waits. */
  take(): TaskRecord | undefined {
    const first = this.waiting.entries().next().value;
    if (first === undefined) return undefined;
    this.waiting.delete(first[0]);
    return first[1];
  }

  clear(): void {
    this.waiting.clear();
  }
}
