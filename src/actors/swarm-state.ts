// What one swarm dispatcher holds: its agents by id, each with the tasks it holds now, its load,
// its rate limit and when it was last heard, and the graph view of them all. Every map is bounded:
// agents by maxAgents, each agent's tasks by its maxConcurrent (at most 1024).
import type { AgentInbound } from '../agent-protocol/messages.ts';
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { TokenBucket } from '../shared/token-bucket.ts';
import { SwarmGraph } from './swarm-graph.ts';
import type { SwarmMsg } from './swarm-messages.ts';
import { remoteAddressOf, swarmLimits, type SwarmDeps, type SwarmLimits } from './swarm-options.ts';

export interface HeldTask {
  readonly taskId: string;
  readonly attempt: number;
  readonly description: string;
  readonly nodeId: number;
  progress: number;
}

export interface Telemetry {
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly health: number;
  readonly tokenUsage: number;
}

export interface AgentEntry {
  readonly id: string;
  /** Which registration this is: death watch messages of an earlier one are ignored. */
  readonly generation: number;
  readonly ref: Ref<AgentInbound>;
  readonly name: string;
  readonly agentType: string;
  readonly capabilities: readonly string[];
  readonly maxConcurrent: number;
  readonly nodeId: number;
  readonly tasks: Map<string, HeldTask>;
  readonly bucket: TokenBucket;
  /** A lease request for it is with the queue. */
  leasing: boolean;
  /** The queue had no work for it: no more asking until the next work-available. */
  starved: boolean;
  /**
   * When the queue last took a task back from it (a deadline missed, a cancel), as the swarm's
   * count of revokes: of agents as loaded, the latest asks for work last, so that a retry goes to
   * another agent when one is free.
   */
  revoked?: number;
  lastHeard: number;
  telemetry: Telemetry | undefined;
}

export interface SwarmState {
  readonly ctx: ActorContext<SwarmMsg>;
  readonly swarm: string;
  readonly deps: SwarmDeps;
  readonly limits: SwarmLimits;
  readonly identify: (sender: Ref<unknown> | undefined) => string | undefined;
  readonly agents: Map<string, AgentEntry>;
  readonly graph: SwarmGraph;
  /** KnowledgeShare writes in flight, by their answer tag (KNOWLEDGE_TAGS and up, apart from the graph view's). */
  readonly knowledge: Map<number, KnowledgeWrite>;
  generations: number;
  /** Revokes so far: each agent's `revoked` is the count at its last one. */
  revokes: number;
  knowledgeTags: number;
  /** KnowledgeShares whose links are being looked up. */
  knowledgeChecking: number;
}

export interface KnowledgeWrite {
  readonly agentId: string;
  readonly nodeId: number;
  readonly skipped: readonly number[];
}

/** The graph view's tags count up from 1; knowledge writes have theirs from here. */
export const KNOWLEDGE_TAGS = 2 ** 40;
/** KnowledgeShares being checked or written at once, per swarm; more are refused with Overloaded. */
export const MAX_KNOWLEDGE_IN_FLIGHT = 64;

export function newSwarmState(ctx: ActorContext<SwarmMsg>, swarm: string, deps: SwarmDeps): SwarmState {
  return {
    ctx,
    swarm,
    deps,
    limits: swarmLimits(deps.limits),
    identify: deps.identify ?? remoteAddressOf,
    agents: new Map(),
    graph: new SwarmGraph(),
    knowledge: new Map(),
    generations: 0,
    revokes: 0,
    knowledgeTags: KNOWLEDGE_TAGS,
    knowledgeChecking: 0,
  };
}

export function newBucket(s: SwarmState): TokenBucket {
  const clock = s.ctx.system.clock;
  return new TokenBucket(s.limits.agentMessagesPerSecond, s.limits.agentMessageBurst, () => clock.now());
}

/** Tasks per free slot: the least loaded agents are asked for work first. */
export function load(agent: AgentEntry): number {
  return agent.tasks.size / agent.maxConcurrent;
}
