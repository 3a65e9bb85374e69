// One swarm's dispatcher (swarmDispatcherPath(name)): the agents that joined the swarm, and the
// tasks the queue leases to them. Registration (forwarded by the swarms registry, or sent here
// again by an agent) death-watches the agent's ref, answers agent-registered (for an agent admitted
// anew, once the queue said which leases it still counts as the agent's: after a node restart the
// agent resumes them) and tells the queue the swarm is up; then the agents report here (swarm-reports.ts, swarm-knowledge.ts), the queue
// offers work and takes tasks back (swarm-leases.ts), and the graph shows it all (swarm-graph.ts).
//
// An agent is lost when its ref is Terminated (it stopped, or its system was declared down) or
// after three heartbeat intervals without a word; the queue is told (agent-lost) and takes back
// what it held. When it starts, agent nodes of an earlier run are shown offline (swarm-sweep.ts).
// Each message kind has its handler; async work ends in a message to this actor.
import type { AgentRegisterMsg } from '../agent-protocol/messages.ts';
import { ErrorCode } from '../protocol/index.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { registeredEvent } from './agent-events.ts';
import { drop, lose, refuse, showAgent, warn } from './swarm-agents.ts';
import type { GraphApplyResult } from '../graph/changes.ts';
import { agentNodeId, writers, type GraphWrite } from './swarm-graph.ts';
import { knowledgeApplied, knowledgeChecked, knowledgeShare } from './swarm-knowledge.ts';
import { dispatch, leaseAnswer, leaseFailed, resume, revoke, workAvailable } from './swarm-leases.ts';
import type { SwarmMsg } from './swarm-messages.ts';
import { startSweep, sweepStale } from './swarm-sweep.ts';
import { sameIncarnation, supersedes, type SwarmDeps } from './swarm-options.ts';
import { agentError, collaborate, completed, heartbeat, progress } from './swarm-reports.ts';
import { KNOWLEDGE_TAGS, newBucket, newSwarmState, type AgentEntry, type SwarmState } from './swarm-state.ts';
import type { HeldLeases, Leased, TaskQueueMsg } from './task-messages.ts';

export const DISPATCHER_NAME = 'dispatcher';

export function swarmDispatcher(swarm: string, deps: SwarmDeps): ActorFactory<SwarmMsg> {
  return (ctx) => {
    const s = newSwarmState(ctx, swarm, deps);
    return {
      preStart() {
        ctx.schedulePeriodic('liveness', s.limits.heartbeatMs, { type: 'liveness' });
        ctx.schedulePeriodic('graph-flush', s.limits.graphFlushMs, { type: 'graph-flush' });
        deps.queue.tell({ type: 'swarm-up', swarm });
        startSweep(s);
      },
      receive: (msg) => receive(s, msg, ctx.sender),
    };
  };
}

function receive(s: SwarmState, msg: SwarmMsg, sender: Ref<unknown> | undefined): void {
  if ('kind' in msg) {
    switch (msg.kind) {
      case 'agent-register':
        return register(s, msg, sender);
      case 'agent-heartbeat':
        return heartbeat(s, msg, sender);
      case 'task-progress':
        return progress(s, msg, sender);
      case 'task-completed':
        return completed(s, msg, sender);
      case 'agent-error':
        return agentError(s, msg, sender);
      case 'knowledge-share':
        return knowledgeShare(s, msg, sender);
      case 'collaboration-request':
        return collaborate(s, msg, sender);
      default:
        // What the node sends agents (agent-registered, task-assigned, ...) decodes too: an agent
        // that sends one here is told it is not served, and nothing else happens.
        return notServed(s, msg, sender);
    }
  }
  switch (msg.type) {
    case 'work-available':
      return workAvailable(s, msg.capabilities);
    case 'revoke':
      return revoke(s, msg);
    case 'lease-answer':
      return leaseAnswer(s, msg.agentId, msg.reply);
    case 'lease-failed':
      return leaseFailed(s, msg.agentId, msg.error);
    case 'admit':
      return registered(s, msg.register, msg.leases);
    case 'agent-terminated':
      return terminated(s, msg.agentId, msg.generation);
    case 'liveness':
      return liveness(s);
    case 'graph-flush':
      return flushGraph(s);
    case 'stale-agents':
      return sweepStale(s, msg.agents);
    case 'knowledge-checked':
      return knowledgeChecked(s, msg.share, msg.existing, msg.error);
    case 'graph-applied':
      return msg.answerTo >= KNOWLEDGE_TAGS ? knowledgeApplied(s, msg.answerTo, msg.result) : graphApplied(s, msg.answerTo, msg.result);
    default:
      return unreachable(msg);
  }
}

/**
 * The registry checked the fields and that the sender speaks for the agent id; checked again here,
 * since an agent may send its registration straight to the dispatcher. The same agent registering
 * again (a lost answer) is answered again; another incarnation under a live agent's id is refused.
 */
function register(s: SwarmState, m: AgentRegisterMsg, sender: Ref<unknown> | undefined): void {
  if (s.identify(sender) !== m.agentId || s.identify(m.agent) !== m.agentId) {
    warn(s, { agentId: m.agentId, sender: sender?.path }, 'registration from a sender that may not speak for that agent: dropped');
    return;
  }
  if (s.agents.has(m.agentId)) return registered(s, m, []);
  // An agent admitted anew may hold leases the queue restored after the node restarted: it is
  // answered with them in `holding` once the queue says which (none if it does not answer).
  s.ctx.pipeToSelf(
    s.ctx.ask<TaskQueueMsg, HeldLeases>(
      s.deps.queue,
      (replyTo) => ({ type: 'held-leases', swarm: s.swarm, agentId: m.agentId, replyTo }),
      s.limits.leaseTimeoutMs,
    ),
    (reply): SwarmMsg => ({ type: 'admit', register: m, leases: reply.leases }),
    (): SwarmMsg => ({ type: 'admit', register: m, leases: [] }),
  );
}

/** Registers an agent whose sender was checked; `leases` (for one admitted anew) it resumes. */
function registered(s: SwarmState, m: AgentRegisterMsg, leases: readonly Leased[]): void {
  let existing = s.agents.get(m.agentId);
  if (existing !== undefined && supersedes(m.agent, existing.ref)) {
    lose(s, existing, 'a new incarnation of it registered');
    existing = undefined;
  }
  if (existing !== undefined && !sameIncarnation(existing.ref, m.agent)) return refuse(m.agent, ErrorCode.Conflict, 'agent id in use');
  if (existing === undefined && s.agents.size >= s.limits.maxAgents) {
    return refuse(m.agent, ErrorCode.Overloaded, `swarm ${s.swarm} holds ${s.limits.maxAgents} agents: no room`);
  }
  if (existing !== undefined && !existing.bucket.take()) {
    return drop(s, existing, ErrorCode.Overloaded, `rate limit exceeded: more than ${s.limits.agentMessagesPerSecond} messages a second`);
  }
  const agent = existing ?? admit(s, m);
  if (existing === undefined) for (const lease of leases) resume(s, agent, lease);
  agent.lastHeard = s.ctx.system.clock.now();
  agent.starved = false;
  // The dispatcher is the sender: on the wire the swarm's ref travels as the envelope's sender.
  m.agent.tell(
    {
      kind: 'agent-registered',
      agentId: agent.id,
      swarm: s.swarm,
      nodeId: agent.nodeId,
      heartbeatMs: s.limits.heartbeatMs,
      holding: [...agent.tasks.values()].map((t) => ({ taskId: t.taskId, attempt: t.attempt })),
      swarmRef: s.ctx.self,
    },
    s.ctx.self,
  );
  s.deps.queue.tell({ type: 'swarm-up', swarm: s.swarm });
  s.deps.events?.publish(registeredEvent(m, s.swarm, agent.nodeId, agent.maxConcurrent));
  dispatch(s);
}

function admit(s: SwarmState, m: AgentRegisterMsg): AgentEntry {
  const generation = ++s.generations;
  const agent: AgentEntry = {
    id: m.agentId,
    generation,
    ref: m.agent,
    name: m.name === '' ? m.agentId : m.name,
    agentType: m.agentType,
    capabilities: [...new Set(m.capabilities)],
    maxConcurrent: Math.max(1, m.maxConcurrent),
    nodeId: agentNodeId(m.agentId),
    tasks: new Map(),
    bucket: newBucket(s),
    leasing: false,
    starved: false,
    lastHeard: s.ctx.system.clock.now(),
    telemetry: undefined,
  };
  s.agents.set(agent.id, agent);
  s.ctx.watch(m.agent, { type: 'agent-terminated', agentId: agent.id, generation });
  showAgent(s, agent);
  s.deps.log?.('info', { swarm: s.swarm, agentId: agent.id, capabilities: agent.capabilities }, 'agent registered');
  return agent;
}

function terminated(s: SwarmState, agentId: string, generation: number): void {
  const agent = s.agents.get(agentId);
  if (agent?.generation === generation) lose(s, agent, 'its actor stopped or its system went down');
}

function liveness(s: SwarmState): void {
  const deadline = s.ctx.system.clock.now() - 3 * s.limits.heartbeatMs;
  for (const agent of [...s.agents.values()]) if (agent.lastHeard < deadline) lose(s, agent, 'missed three heartbeats');
}

function flushGraph(s: SwarmState): void {
  const graph = s.deps.graph;
  if (graph === undefined) return;
  for (let write = s.graph.flush(); write !== undefined; write = s.graph.flush()) send(s, write);
}

function graphApplied(s: SwarmState, tag: number, result: GraphApplyResult): void {
  for (const again of s.graph.applied(tag, result)) send(s, again);
}

/** The origin names the agents whose nodes the write carries (a batch may carry several). */
function send(s: SwarmState, write: GraphWrite): void {
  const agents = writers(write);
  const subject = agents.length === 0 ? `swarm:${s.swarm}` : `agent:${agents.slice(0, 8).join(',')}${agents.length > 8 ? ',...' : ''}`;
  s.deps.graph?.apply({ mutation: write.mutation, origin: { session: `swarm:${s.swarm}`, subject }, replyTo: s.ctx.self, tag: write.tag });
}

function notServed(s: SwarmState, msg: never, sender: Ref<unknown> | undefined): void {
  const kind = String((msg as { kind?: unknown }).kind).slice(0, 64);
  warn(s, { kind, sender: sender?.path }, 'message a swarm does not take: dropped');
  if (s.identify(sender) !== undefined) refuse(sender, ErrorCode.BadMessage, `a swarm does not take ${kind}`);
}

function unreachable(value: never): never {
  throw new Error(`swarm dispatcher: unhandled message ${JSON.stringify(value).slice(0, 80)}`);
}
