// What an agent tells its caller about itself, on agent.events.
import type { AgentRefusedError } from './errors.ts';

export type TaskOutcome = 'completed' | 'failed' | 'cancelled' | 'dropped' | 'refused';

export type AgentEvent =
  /** Accepted by the node: first, and again after every reconnect (`resumed` tasks go on, `dropped` were stopped). */
  | {
      readonly type: 'registered';
      readonly swarm: string;
      readonly nodeId: number;
      readonly heartbeatMs: number;
      readonly resumed: readonly string[];
      readonly dropped: readonly string[];
    }
  | { readonly type: 'refused'; readonly error: AgentRefusedError }
  | { readonly type: 'task-started'; readonly taskId: string; readonly attempt: number; readonly capability: string }
  | {
      readonly type: 'task-ended';
      readonly taskId: string;
      readonly attempt: number;
      readonly outcome: TaskOutcome;
      readonly durationMs: number;
      /** Why it failed, was cancelled, dropped or refused. */
      readonly detail?: string;
    }
  /** The connection to the node dropped; the agent reconnects by itself. */
  | { readonly type: 'disconnected'; readonly reason: string }
  /** The node declared this agent down (or quarantined it): it rejoins as a new incarnation. */
  | { readonly type: 'rejoining'; readonly reason: string }
  | { readonly type: 'collaboration'; readonly fromAgent: string; readonly taskId: string; readonly message: string }
  /** A message the agent could not send (over a bound of the protocol), or a handler's bad call. */
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'closed'; readonly error?: Error };
