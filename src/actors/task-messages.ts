// The messages of the task pipeline inside a node, between the task queue (the durable owner of
// every task), the planner, the swarms and the gateway's task port:
//
//   client -> gateway -> queue: submit          queue persists it (queued), answers with the task
//   queue -> planner: plan (a task with a recipe)   planner -> queue: planned | plan-failed
//   queue -> swarm: work-available              swarm -> queue: lease (for one of its agents)
//   queue -> swarm: leased | no-work            swarm -> agent: task-assigned
//   swarm -> queue: progress, completed, agent-error (checked against the lease: agent and attempt)
//   swarm -> queue: agent-lost                  queue requeues what the agent held
//   swarm -> queue: held-leases (an agent admitted anew)  queue -> swarm: the attempts it holds
//   queue -> swarm: revoke (cancelled, deadline missed)   swarm -> agent: task-cancel
//   queue -> planner: aggregate (every subtask final)     planner -> queue: aggregated
//   queue -> watchers: task-event on every change (the gateway's Topic.Tasks, the swarms' graph view)
//
// A reply goes to the `replyTo` its request names; everything else is told to paths (pathRef), so
// each actor may restart on its own. The queue's path is TASK_QUEUE_PATH, the planner's
// PLANNER_PATH, a swarm's swarmPath(name) (app-tree.ts).
import type { Recipient } from '../shared/recipient.ts';
import type { NewTask, TaskRecord } from '../tasks/task.ts';

/** Who asks, as the gateway's token check established it. */
export interface TaskActor {
  readonly subject: string;
  readonly role: 'viewer' | 'editor' | 'agent' | 'admin';
}

export type TaskRefusal = 'bad-request' | 'not-found' | 'forbidden' | 'conflict' | 'overloaded' | 'unavailable';

export type TaskReply =
  { readonly ok: true; readonly task: TaskRecord } | { readonly ok: false; readonly code: TaskRefusal; readonly message: string };

export type TaskListReply =
  | { readonly ok: true; readonly tasks: readonly TaskRecord[] }
  | { readonly ok: false; readonly code: TaskRefusal; readonly message: string };

export interface TaskEvent {
  readonly type: 'task-event';
  readonly task: TaskRecord;
}

/** A lease the queue granted: the swarm hands the attempt to `agentId`. */
export interface Leased {
  readonly type: 'leased';
  readonly task: TaskRecord;
  readonly agentId: string;
  readonly attempt: number;
  /** ms since the epoch. */
  readonly leaseUntil: number;
}

export interface NoWork {
  readonly type: 'no-work';
  readonly agentId: string;
}

export type LeaseReply = Leased | NoWork;

/** The attempts the queue counts as an agent's: a swarm admitting the agent anew resumes them. */
export interface HeldLeases {
  readonly type: 'held-leases';
  readonly agentId: string;
  readonly leases: readonly Leased[];
}

export type TaskQueueMsg =
  // from clients (through the gateway's task port)
  | { readonly type: 'submit'; readonly task: NewTask; readonly by: TaskActor; readonly replyTo: Recipient<TaskReply> }
  | {
      readonly type: 'cancel';
      readonly taskId: string;
      readonly by: TaskActor;
      readonly reason: string;
      readonly replyTo: Recipient<TaskReply>;
    }
  | { readonly type: 'get'; readonly taskId: string; readonly replyTo: Recipient<TaskReply> }
  | {
      readonly type: 'list';
      readonly states?: readonly TaskRecord['state'][];
      readonly parentId?: string;
      readonly limit: number;
      readonly replyTo: Recipient<TaskListReply>;
    }
  | { readonly type: 'watch'; readonly subscriber: Recipient<TaskEvent> }
  | { readonly type: 'unwatch'; readonly subscriber: Recipient<TaskEvent> }
  // from the planner
  | { readonly type: 'planned'; readonly taskId: string; readonly subtasks: readonly NewTask[] }
  | { readonly type: 'plan-failed'; readonly taskId: string; readonly reason: string }
  | { readonly type: 'aggregated'; readonly taskId: string; readonly success: boolean; readonly result: string }
  // from the swarms
  | { readonly type: 'swarm-up'; readonly swarm: string }
  | {
      readonly type: 'lease';
      readonly swarm: string;
      readonly agentId: string;
      readonly capabilities: readonly string[];
      readonly replyTo: Recipient<LeaseReply>;
    }
  | { readonly type: 'held-leases'; readonly swarm: string; readonly agentId: string; readonly replyTo: Recipient<HeldLeases> }
  | {
      readonly type: 'progress';
      readonly taskId: string;
      readonly agentId: string;
      readonly attempt: number;
      readonly progress: number;
      readonly partial: string;
    }
  | {
      readonly type: 'completed';
      readonly taskId: string;
      readonly agentId: string;
      readonly attempt: number;
      readonly success: boolean;
      readonly result: string;
    }
  | {
      readonly type: 'agent-error';
      readonly taskId: string;
      readonly agentId: string;
      readonly attempt: number;
      readonly message: string;
      readonly recoverable: boolean;
    }
  | { readonly type: 'agent-lost'; readonly agentId: string; readonly reason: string };

export type PlannerMsg =
  | { readonly type: 'plan'; readonly task: TaskRecord }
  | { readonly type: 'aggregate'; readonly parent: TaskRecord; readonly subtasks: readonly TaskRecord[] };

/** What the queue tells a swarm (besides lease replies). */
export type SwarmQueueMsg =
  | { readonly type: 'work-available'; readonly capabilities: readonly string[] }
  | { readonly type: 'revoke'; readonly taskId: string; readonly agentId: string; readonly attempt: number; readonly reason: string };

/** Where the pipeline's actors live (app-tree.ts mounts them there). */
export const AGENTS_MOUNT_PATH = '/app/agents';
export const TASK_QUEUE_PATH = `${AGENTS_MOUNT_PATH}/queue`;
export const PLANNER_PATH = `${AGENTS_MOUNT_PATH}/planner`;
/** The swarms registry is SWARMS_PATH (agent-protocol/messages.ts); each swarm is a child of it. */
export const swarmDispatcherPath = (swarm: string): string => `${AGENTS_MOUNT_PATH}/swarms/${swarm}/dispatcher`;
