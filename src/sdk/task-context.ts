// What a task handler gets: the task as the node assigned it, and what it may do while it runs.
import type { CollaborationRequestMsg, TaskAssignedMsg } from '../agent-protocol/messages.ts';

export type AgentTask = Omit<TaskAssignedMsg, 'kind'>;

export interface TaskContext {
  /** The agent running the task. */
  readonly agentId: string;
  /** Aborted when the node cancels the task, takes it back after a reconnect, or the agent closes. */
  readonly signal: AbortSignal;
  /** Reports progress (0 to 1) and, optionally, a partial result (at most 1 MiB of UTF-8). */
  progress(progress: number, partialResult?: string): void;
  /** Shares knowledge with the graph: a knowledge node linked to each of `nodeIds`. */
  share(topic: string, content: string, nodeIds: readonly number[]): void;
  /** Asks other agents for help with this task. */
  collaborate(toAgents: readonly string[], message: string): void;
  /** Counts model tokens this task used (reported in heartbeats). */
  useTokens(count: number): void;
}

/**
 * Runs one task. What it returns is the result (a string as is, anything else as JSON); what it
 * throws is the error (TaskError says whether the task may be tried again; others may).
 */
export type TaskHandler = (task: AgentTask, ctx: TaskContext) => Promise<unknown>;

/** Called when another agent (or the node) asks this one for help. */
export type CollaborationHandler = (request: Omit<CollaborationRequestMsg, 'kind'>) => void;
