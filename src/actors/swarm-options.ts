// What a swarm dispatcher is given: where the task queue and the graph are, who may speak for an
// agent, and its limits as data with their defaults. Every agent is untrusted: each bound here is
// what keeps one bad agent from costing the others (or the node) anything.
import type { GraphPort } from '../gateway/ports.ts';
import type { PayloadT } from '../protocol/index.ts';
import type { Ref } from '../runtime/ref.ts';
import { RemoteRef } from '../runtime/transport.ts';
import type { TaskQueueMsg } from './task-messages.ts';

export interface SwarmLimits {
  /** How often agents must be heard from (told to them at registration); three missed and they are lost. */
  readonly heartbeatMs: number;
  /** A task result (or a partial one) bigger than this, in UTF-8 bytes, is refused (the wire allows 1 MiB). */
  readonly maxResultBytes: number;
  /** Messages an agent may send a second, and in a burst; past them it is dropped. */
  readonly agentMessagesPerSecond: number;
  readonly agentMessageBurst: number;
  /** Agents one swarm holds at once; more are refused with Overloaded. */
  readonly maxAgents: number;
  /** How long a lease request may wait for the queue before the agent is counted starved. */
  readonly leaseTimeoutMs: number;
  /** Graph writes of one swarm are batched and sent at most this often. */
  readonly graphFlushMs: number;
  /** Graph nodes a KnowledgeShare may link to (the rest are skipped and said so). */
  readonly maxKnowledgeLinks: number;
  /** Agents a CollaborationRequest may name. */
  readonly maxCollaborators: number;
}

export const DEFAULT_SWARM_LIMITS: SwarmLimits = {
  heartbeatMs: 5_000,
  maxResultBytes: 256 << 10,
  agentMessagesPerSecond: 200,
  agentMessageBurst: 400,
  maxAgents: 1_000,
  leaseTimeoutMs: 5_000,
  graphFlushMs: 250,
  maxKnowledgeLinks: 1_000,
  maxCollaborators: 64,
};

export type SwarmLog = (level: 'info' | 'warn', fields: Readonly<Record<string, unknown>>, message: string) => void;

export interface SwarmDeps {
  /** The task queue (a path ref to TASK_QUEUE_PATH in a node). */
  readonly queue: Ref<TaskQueueMsg>;
  /** Agents, tasks and knowledge become graph nodes through it; none: the swarm writes no graph. */
  readonly graph?: GraphPort;
  /** Where agent events go for clients (Topic.Agents). */
  readonly events?: AgentEventSink;
  readonly limits?: Partial<SwarmLimits>;
  /**
   * The agent id a message's sender may speak for: by default the address of the system it is
   * on, which the remote transport proved with the agent's token. Local senders speak for no one.
   */
  readonly identify?: (sender: Ref<unknown> | undefined) => string | undefined;
  readonly log?: SwarmLog;
}

/** What the swarm publishes agent events into: agent-port.ts's hub. */
export interface AgentEventSink {
  publish(payload: PayloadT): void;
}

export function swarmLimits(given: Partial<SwarmLimits> = {}): SwarmLimits {
  const limits = { ...DEFAULT_SWARM_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`swarm limit ${name} must be a positive number, got ${value}`);
  }
  return limits;
}

/** The default identity: a remote sender's system address. */
export function remoteAddressOf(sender: Ref<unknown> | undefined): string | undefined {
  return sender instanceof RemoteRef && sender.address !== '' ? sender.address : undefined;
}

/**
 * Whether two refs stand for the same process start of an agent (a new incarnation is another
 * agent). Remote refs compare by address and incarnation, where both know theirs; local ones by path.
 */
export function sameIncarnation(a: Ref<unknown>, b: Ref<unknown>): boolean {
  if (a instanceof RemoteRef && b instanceof RemoteRef) {
    return a.address === b.address && (a.incarnation === undefined || b.incarnation === undefined || a.incarnation === b.incarnation);
  }
  return a.path === b.path;
}

/**
 * Whether `newer` is a later process start of the agent behind `older`. The transport keeps one
 * association per address and declares the old incarnation down when a new one associates, so the
 * old one is gone even if its Terminated has not reached the dispatcher yet.
 */
export function supersedes(newer: Ref<unknown>, older: Ref<unknown>): boolean {
  return (
    newer instanceof RemoteRef &&
    older instanceof RemoteRef &&
    newer.address === older.address &&
    newer.incarnation !== undefined &&
    older.incarnation !== undefined &&
    newer.incarnation !== older.incarnation
  );
}
