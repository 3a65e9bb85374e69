// A task of the agent swarm, as the durable queue keeps it (one row of the tasks table) and as
// clients see it. The queue is the only writer; everyone else reads views of it.
//
// States and the moves between them (anything else is refused by the store):
//   queued    -> assigned (leased to an agent), running (a planned parent waiting on its subtasks),
//                cancelled
//   assigned  -> running (the agent reported progress), queued (the attempt ended: agent lost,
//                deadline missed, recoverable error), done, failed, cancelled
//   running   -> queued, done, failed, cancelled
//   done, failed, cancelled: final.

export const TASK_STATES = ['queued', 'assigned', 'running', 'done', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['done', 'failed', 'cancelled']);

/** What a client (or the planner, for a subtask) asks for. */
export interface NewTask {
  readonly description: string;
  /** A declared recipe the planner decomposes; absent: one task for an agent with `capability`. */
  readonly recipe?: string;
  /** Required when there is no recipe. */
  readonly capability?: string;
  /** The recipe's input (JSON text for the bundled recipes); "" when none. */
  readonly input?: string;
  /** Default "default". */
  readonly swarm?: string;
  /** 0 (lowest) to 255; higher goes first, then older. */
  readonly priority?: number;
  /** Each attempt's deadline from its assignment, ms (0 or absent: the queue's default). */
  readonly deadlineMs?: number;
  /** Attempts before the task fails (0 or absent: the queue's default). */
  readonly maxAttempts?: number;
}

export interface TaskRecord {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly swarm: string;
  readonly state: TaskState;
  readonly description: string;
  readonly recipe: string | undefined;
  /** The capability an agent needs; "" for a parent that only its subtasks work on. */
  readonly capability: string;
  readonly input: string;
  readonly priority: number;
  readonly deadlineMs: number;
  readonly maxAttempts: number;
  /** Attempts started so far; the current attempt's number while assigned or running. */
  readonly attempts: number;
  /** The agent holding the current attempt (assigned or running); for a done task, the one that did it. */
  readonly agentId: string | undefined;
  /** When the current attempt's lease runs out (ms since the epoch). */
  readonly leaseUntil: number | undefined;
  /** 0 to 1. */
  readonly progress: number;
  readonly result: string | undefined;
  /** Why earlier attempts ended, oldest first; then why it failed or was cancelled. */
  readonly errors: readonly string[];
  readonly subtasks: readonly string[];
  /** The token subject of whoever submitted it (for subtasks: the parent's). */
  readonly submittedBy: string;
  readonly createdMs: number;
  readonly updatedMs: number;
}
