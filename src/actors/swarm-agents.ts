// The agents of one swarm, as the dispatcher keeps them: who may speak for which agent, refusals,
// how an agent shows in the graph, and how one leaves (lost, or dropped for misbehaving). An agent
// that leaves takes nothing else with it: its tasks go back to the queue (agent-lost) and every
// other agent and client carries on.
import type { AgentInbound, AgentRefusedMsg } from '../agent-protocol/messages.ts';
import { ErrorCode } from '../protocol/index.ts';
import type { Ref } from '../runtime/ref.ts';
import { errorEvent } from './agent-events.ts';
import type { AgentView } from './swarm-graph.ts';
import { sameIncarnation } from './swarm-options.ts';
import type { AgentEntry, SwarmState } from './swarm-state.ts';

export function refuse(to: Ref<AgentInbound> | Ref<unknown> | undefined, code: ErrorCode, message: string, taskId?: string): void {
  const refusal: AgentRefusedMsg = { kind: 'agent-refused', code, message, ...(taskId === undefined ? {} : { taskId }) };
  (to as Ref<AgentInbound> | undefined)?.tell(refusal);
}

/**
 * The registered agent a message claiming to be from `agentId` may speak for, after its identity
 * and rate checks; undefined (with the sender told why, where there is one) otherwise. Every
 * message counts against the agent's rate and as a sign of life.
 */
export function speakingAgent(s: SwarmState, agentId: string, sender: Ref<unknown> | undefined): AgentEntry | undefined {
  const claimed = s.identify(sender);
  if (claimed === undefined || claimed !== agentId) {
    warn(s, { agentId, sender: sender?.path }, 'agent message from a sender that may not speak for that agent: dropped');
    if (claimed !== undefined) refuse(sender, ErrorCode.Unauthorized, `you are ${claimed.slice(0, 64)}, not ${agentId.slice(0, 64)}`);
    return undefined;
  }
  const agent = s.agents.get(agentId);
  if (agent === undefined) {
    refuse(sender, ErrorCode.NotFound, `${agentId.slice(0, 64)} is not registered in swarm ${s.swarm}: register again`);
    return undefined;
  }
  if (sender !== undefined && !sameIncarnation(sender, agent.ref)) {
    refuse(sender, ErrorCode.Conflict, 'agent id in use by another incarnation');
    return undefined;
  }
  if (!agent.bucket.take()) {
    drop(s, agent, ErrorCode.Overloaded, `rate limit exceeded: more than ${s.limits.agentMessagesPerSecond} messages a second`);
    return undefined;
  }
  agent.lastHeard = s.ctx.system.clock.now();
  return agent;
}

export function agentView(s: SwarmState, a: AgentEntry, status: string): AgentView {
  const task = [...a.tasks.values()].at(-1);
  return {
    nodeId: a.nodeId,
    agentId: a.id,
    name: a.name,
    agentType: a.agentType,
    swarm: s.swarm,
    status,
    task: task === undefined ? '' : task.description === '' ? task.taskId : task.description,
    progress: task?.progress ?? 0,
  };
}

/** The agent's node shows what it does now: working while it holds a task, idle otherwise. */
export function showAgent(s: SwarmState, a: AgentEntry): void {
  s.graph.agent(agentView(s, a, a.tasks.size > 0 ? 'working' : 'idle'));
}

/** The agent is gone (stopped, its system down, or silent): the queue takes its tasks back. */
export function lose(s: SwarmState, agent: AgentEntry, reason: string, status = 'lost'): void {
  if (s.agents.get(agent.id) !== agent) return;
  s.agents.delete(agent.id);
  s.ctx.unwatch(agent.ref);
  s.deps.queue.tell({ type: 'agent-lost', agentId: agent.id, reason });
  for (const task of agent.tasks.values()) s.graph.remove(task.nodeId);
  agent.tasks.clear();
  s.graph.agent({ ...agentView(s, agent, status), task: '', progress: 0 });
  s.deps.events?.publish(errorEvent({ agentId: agent.id, taskId: '', message: `${status}: ${reason}`, recoverable: false, attempt: 0 }));
  s.deps.log?.('info', { swarm: s.swarm, agentId: agent.id, reason }, `agent ${status}`);
}

/** A misbehaving agent is told why and dropped; its tasks go back to the queue. */
export function drop(s: SwarmState, agent: AgentEntry, code: ErrorCode, reason: string): void {
  refuse(agent.ref, code, `dropped: ${reason}`);
  warn(s, { agentId: agent.id, reason }, 'agent dropped');
  lose(s, agent, reason, 'dropped');
}

export function warn(s: SwarmState, fields: Readonly<Record<string, unknown>>, message: string): void {
  s.deps.log?.('warn', { swarm: s.swarm, ...fields }, message);
}
