// What a swarm dispatcher receives: the agents' messages (agent-protocol/messages.ts, told to it by
// the agents, the registration forwarded by the swarms registry with its sender), the queue's
// (task-messages.ts), and its own: the outcome of async work (lease asks, graph writes, the check
// of a KnowledgeShare's links), death watch and its timers.
import type { AgentOutbound, AgentRegisterMsg, KnowledgeShareMsg } from '../agent-protocol/messages.ts';
import type { GraphApplied } from '../graph/changes.ts';
import type { StaleAgent } from './swarm-sweep.ts';
import type { LeaseReply, Leased, SwarmQueueMsg } from './task-messages.ts';

export type SwarmSelfMsg =
  | { readonly type: 'lease-answer'; readonly agentId: string; readonly reply: LeaseReply }
  | { readonly type: 'lease-failed'; readonly agentId: string; readonly error: string }
  /** A registration to admit anew, with the leases the queue still counts as the agent's. */
  | { readonly type: 'admit'; readonly register: AgentRegisterMsg; readonly leases: readonly Leased[] }
  /** Death watch of an agent's ref: it stopped, or its system was declared down. */
  | { readonly type: 'agent-terminated'; readonly agentId: string; readonly generation: number }
  | { readonly type: 'liveness' }
  | { readonly type: 'graph-flush' }
  /** Agent nodes of an earlier run shown live (swarm-sweep.ts). */
  | { readonly type: 'stale-agents'; readonly agents: readonly StaleAgent[] }
  | {
      readonly type: 'knowledge-checked';
      readonly share: KnowledgeShareMsg;
      readonly existing: readonly number[];
      readonly error?: string;
    };

export type SwarmMsg = AgentOutbound | SwarmQueueMsg | SwarmSelfMsg | GraphApplied;
