// The task queue's own messages, besides the pipeline's (task-messages.ts): how its async work
// (commits, store reads) and its timers come back to it. Each carries what its handler needs.
import type { Recipient } from '../shared/recipient.ts';
import type { StoredTask } from '../tasks/task-store.ts';
import type { TaskListReply, TaskQueueMsg, TaskReply } from './task-messages.ts';

export type TaskQueueInternalMsg =
  /** The batch in flight committed; `incarnation` tells an earlier incarnation's flush from ours. */
  | { readonly type: 'flushed'; readonly incarnation: number }
  | { readonly type: 'flush-failed'; readonly incarnation: number; readonly error: unknown }
  | { readonly type: 'lease-expired'; readonly taskId: string; readonly attempt: number }
  /** Periodic: asks the planner again what it has not answered (it may have restarted meanwhile). */
  | { readonly type: 'planner-retry' }
  | {
      readonly type: 'got';
      readonly taskId: string;
      readonly found: StoredTask | undefined | Error;
      readonly replyTo: Recipient<TaskReply>;
    }
  | { readonly type: 'listed'; readonly found: readonly StoredTask[] | Error; readonly replyTo: Recipient<TaskListReply> }
  | {
      readonly type: 'cancel-looked-up';
      readonly found: StoredTask | undefined | Error;
      readonly request: Extract<TaskQueueMsg, { type: 'cancel' }>;
    };

export type TaskQueueActorMsg = TaskQueueMsg | TaskQueueInternalMsg;
