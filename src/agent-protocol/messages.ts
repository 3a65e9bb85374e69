// The messages between an agent (a remote actor in its own process) and the node's swarm, as plain
// objects with a `kind`. codecs.ts maps each onto its table of schemas/agent.fbs; nothing else
// crosses. docs/agents.md tells the conversation:
//
//   agent -> vf://NODE/app/agents/swarms     agent-register          (answered by the swarm)
//   swarm -> agent                            agent-registered | agent-refused
//   agent -> swarm                            agent-heartbeat, task-progress, task-completed,
//                                             agent-error, collaboration-request, knowledge-share
//   swarm -> agent                            task-assigned, task-cancel, collaboration-request
//
// The agent's address (its actor system's name) is its agent id: the transport has already proved
// it with the agent's token (whose subject it must be), so a message naming another id is refused.
import type { Ref } from '../runtime/ref.ts';

export interface AgentRegisterMsg {
  readonly kind: 'agent-register';
  readonly agentId: string;
  readonly agentType: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  /** "" or "default" for the default swarm. */
  readonly swarm: string;
  /** Tasks at once (at least 1). */
  readonly maxConcurrent: number;
  /** Where the node sends tasks: the agent's own actor (vf://AGENT/user/...). */
  readonly agent: Ref<AgentInbound>;
}

export interface AgentRegisteredMsg {
  readonly kind: 'agent-registered';
  readonly agentId: string;
  readonly swarm: string;
  /** The graph node that shows the agent. */
  readonly nodeId: number;
  readonly heartbeatMs: number;
  /** Tasks the node still counts as this agent's, after a reconnect: resume them. */
  readonly holding: readonly { readonly taskId: string; readonly attempt: number }[];
  /** The swarm actor: where everything after registration goes. */
  readonly swarmRef: Ref<AgentOutbound>;
}

/** A registration or report the node refuses (travels as ErrorReply). */
export interface AgentRefusedMsg {
  readonly kind: 'agent-refused';
  /** ErrorCode of schemas/error.fbs (Unauthorized, Conflict, BadMessage, Overloaded, ...). */
  readonly code: number;
  readonly message: string;
  /** The task the refused message was about, if any. */
  readonly taskId?: string;
}

export interface AgentHeartbeatMsg {
  readonly kind: 'agent-heartbeat';
  readonly agentId: string;
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly activeTasks: number;
  /** 0 (failing) to 1 (healthy). */
  readonly health: number;
  readonly tokenUsage: number;
}

export interface TaskAssignedMsg {
  readonly kind: 'task-assigned';
  readonly taskId: string;
  readonly agentId: string;
  readonly parentTaskId: string;
  readonly description: string;
  readonly capability: string;
  readonly input: string;
  readonly priority: number;
  /** When this attempt's lease runs out (ms since the epoch). */
  readonly deadlineMs: number;
  readonly attempt: number;
}

export interface TaskProgressMsg {
  readonly kind: 'task-progress';
  readonly taskId: string;
  readonly agentId: string;
  readonly attempt: number;
  /** 0 to 1. */
  readonly progress: number;
  readonly partialResult: string;
}

export interface TaskCompletedMsg {
  readonly kind: 'task-completed';
  readonly taskId: string;
  readonly agentId: string;
  readonly attempt: number;
  readonly success: boolean;
  readonly result: string;
  readonly durationMs: number;
}

export interface AgentErrorMsg {
  readonly kind: 'agent-error';
  readonly agentId: string;
  /** "" when the error is not about a task. */
  readonly taskId: string;
  readonly attempt: number;
  readonly message: string;
  /** True: the task may be tried again (by any agent); false: it fails now. */
  readonly recoverable: boolean;
}

export interface TaskCancelMsg {
  readonly kind: 'task-cancel';
  readonly taskId: string;
  readonly attempt: number;
  readonly reason: string;
}

export interface CollaborationRequestMsg {
  readonly kind: 'collaboration-request';
  readonly fromAgent: string;
  readonly toAgents: readonly string[];
  readonly taskId: string;
  readonly message: string;
}

export interface KnowledgeShareMsg {
  readonly kind: 'knowledge-share';
  readonly agentId: string;
  readonly topic: string;
  readonly content: string;
  /** Graph nodes the knowledge is about: it is linked to each. */
  readonly nodeIds: readonly number[];
}

/** What an agent's actor receives from the node. */
export type AgentInbound = AgentRegisteredMsg | AgentRefusedMsg | TaskAssignedMsg | TaskCancelMsg | CollaborationRequestMsg;

/** What an agent sends to its swarm (and, the first, to the swarms registry). */
export type AgentOutbound =
  AgentRegisterMsg | AgentHeartbeatMsg | TaskProgressMsg | TaskCompletedMsg | AgentErrorMsg | CollaborationRequestMsg | KnowledgeShareMsg;

/** Where agents register, on every node: vf://NODE + this. */
export const SWARMS_PATH = '/app/agents/swarms';
