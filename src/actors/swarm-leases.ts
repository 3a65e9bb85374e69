// Dispatch: which agents ask the queue for work, and what happens to the answer. Agents with free
// slots ask, least loaded first (of equals, the one the queue last took a task back from last), one
// lease request per free slot; an agent the queue had no work
// for waits for the next work-available. A lease becomes a task-assigned to the agent, and the
// queue's revoke a task-cancel; either way the agent's slot count follows.
//
// Why a request per free slot rather than one per agent: the queue answers a lease only once the
// assignment is committed, so an agent with one request at a time fills its slots at one task a
// commit; with one per slot all of them join the same commit.
import type { TaskAssignedMsg } from '../agent-protocol/messages.ts';
import { assignedEvent } from './agent-events.ts';
import { showAgent } from './swarm-agents.ts';
import { taskNodeId } from './swarm-graph.ts';
import type { SwarmMsg } from './swarm-messages.ts';
import { load, type AgentEntry, type SwarmState } from './swarm-state.ts';
import type { LeaseReply, Leased, SwarmQueueMsg, TaskQueueMsg } from './task-messages.ts';

/** Lease requests of each agent with the queue (`leasing` says whether there is any). */
const asking = new WeakMap<AgentEntry, number>();

/** Slots neither holding a task nor asked for. */
function room(agent: AgentEntry): number {
  return agent.maxConcurrent - agent.tasks.size - (asking.get(agent) ?? 0);
}

function answered(agent: AgentEntry): void {
  const left = Math.max(0, (asking.get(agent) ?? 0) - 1);
  asking.set(agent, left);
  agent.leasing = left > 0;
}

/** Asks the queue for work for every free slot of the agents that may ask now, least loaded first. */
export function dispatch(s: SwarmState): void {
  const ready = [...s.agents.values()].filter((a) => !a.starved && room(a) > 0);
  if (ready.length === 0) return;
  ready.sort((a, b) => load(a) - load(b) || a.tasks.size - b.tasks.size || (a.revoked ?? 0) - (b.revoked ?? 0));
  // In rounds, so that the first agents' slots do not take all the work there is.
  for (let asked = true; asked;) {
    asked = false;
    for (const agent of ready) {
      if (agent.starved || room(agent) <= 0) continue;
      askForWork(s, agent);
      asked = true;
    }
  }
}

function askForWork(s: SwarmState, agent: AgentEntry): void {
  asking.set(agent, (asking.get(agent) ?? 0) + 1);
  agent.leasing = true;
  const { ctx, deps, limits, swarm } = s;
  const agentId = agent.id;
  ctx.pipeToSelf(
    ctx.ask<TaskQueueMsg, LeaseReply>(
      deps.queue,
      (replyTo) => ({ type: 'lease', swarm, agentId, capabilities: agent.capabilities, replyTo }),
      limits.leaseTimeoutMs,
    ),
    (reply): SwarmMsg => ({ type: 'lease-answer', agentId, reply }),
    (error): SwarmMsg => ({ type: 'lease-failed', agentId, error: error instanceof Error ? error.message : String(error) }),
  );
}

/** Work for some capabilities: the agents that have any of them (or all, when none is named) may ask again. */
export function workAvailable(s: SwarmState, capabilities: readonly string[]): void {
  for (const agent of s.agents.values()) {
    if (capabilities.length === 0 || agent.capabilities.some((c) => capabilities.includes(c))) agent.starved = false;
  }
  dispatch(s);
}

export function leaseAnswer(s: SwarmState, agentId: string, reply: LeaseReply): void {
  const agent = s.agents.get(agentId);
  if (agent !== undefined) answered(agent);
  if (reply.type === 'no-work') {
    if (agent !== undefined) agent.starved = true;
    return;
  }
  if (agent === undefined || agent.tasks.size >= agent.maxConcurrent) {
    // The agent left (or filled up) while its request was with the queue: this attempt ends here.
    s.deps.queue.tell({
      type: 'agent-error',
      taskId: reply.task.id,
      agentId,
      attempt: reply.attempt,
      message: `agent ${agentId} left swarm ${s.swarm} before its lease arrived`,
      recoverable: true,
    });
    return;
  }
  assign(s, agent, reply);
  dispatch(s);
}

export function leaseFailed(s: SwarmState, agentId: string, error: string): void {
  const agent = s.agents.get(agentId);
  if (agent === undefined) return;
  answered(agent);
  // Not asked again before the queue says there is work: a queue that is down is not polled in a loop.
  agent.starved = true;
  s.deps.log?.('warn', { swarm: s.swarm, agentId, error }, 'the task queue did not answer a lease request');
}

/**
 * A lease the agent held before the node restarted, which the agent learns of in its
 * registration's `holding`: counted and shown as one just assigned, but not sent again. One past
 * the agent's slots is left to its deadline.
 */
export function resume(s: SwarmState, agent: AgentEntry, lease: Leased): void {
  if (agent.tasks.has(lease.task.id) || agent.tasks.size >= agent.maxConcurrent) return;
  hold(s, agent, lease);
}

function hold(s: SwarmState, agent: AgentEntry, lease: Leased): void {
  const { task, attempt } = lease;
  const nodeId = taskNodeId(task.id, attempt);
  agent.tasks.set(task.id, { taskId: task.id, attempt, description: task.description, nodeId, progress: lease.task.progress });
  s.graph.taskStarted({
    nodeId,
    agentId: agent.id,
    taskId: task.id,
    attempt,
    description: task.description,
    agentNodeId: agent.nodeId,
    progress: lease.task.progress,
  });
  showAgent(s, agent);
}

function assign(s: SwarmState, agent: AgentEntry, lease: Leased): void {
  const { task, attempt } = lease;
  hold(s, agent, lease);
  const message: TaskAssignedMsg = {
    kind: 'task-assigned',
    taskId: task.id,
    agentId: agent.id,
    parentTaskId: task.parentId ?? '',
    description: task.description,
    capability: task.capability,
    input: task.input,
    priority: task.priority,
    deadlineMs: lease.leaseUntil,
    attempt,
  };
  agent.ref.tell(message);
  s.deps.events?.publish(assignedEvent(message));
}

/** The queue takes a task back (cancelled, deadline missed): the agent stops working on it. */
export function revoke(s: SwarmState, msg: Extract<SwarmQueueMsg, { type: 'revoke' }>): void {
  const agent = s.agents.get(msg.agentId);
  const held = agent?.tasks.get(msg.taskId);
  if (agent === undefined || held === undefined || held.attempt !== msg.attempt) return;
  agent.ref.tell({ kind: 'task-cancel', taskId: msg.taskId, attempt: msg.attempt, reason: msg.reason });
  release(s, agent, msg.taskId);
  agent.revoked = ++s.revokes;
  // The task may be queued again (a deadline missed): every agent asks, this one last, so that
  // the next attempt goes to another agent than the one that just missed it, when one is free.
  workAvailable(s, []);
}

/** The agent's slot for `taskId` is free again. */
export function release(s: SwarmState, agent: AgentEntry, taskId: string): void {
  const held = agent.tasks.get(taskId);
  if (held === undefined) return;
  agent.tasks.delete(taskId);
  s.graph.remove(held.nodeId);
  showAgent(s, agent);
}
