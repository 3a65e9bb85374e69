// What agents report, checked and passed on: heartbeats (telemetry, and a sign of life), progress,
// results and errors on the tasks they hold (refused, naming the task, when the agent does not hold
// that task at that attempt; forwarded to the queue otherwise), knowledge for the graph and
// requests to collaborate with agents of the same swarm. A result over the swarm's size limit is
// refused and ends the attempt as a recoverable error, so the task may go to another agent.
import type {
  AgentErrorMsg,
  AgentHeartbeatMsg,
  CollaborationRequestMsg,
  TaskCompletedMsg,
  TaskProgressMsg,
} from '../agent-protocol/messages.ts';
import { ErrorCode } from '../protocol/index.ts';
import type { Ref } from '../runtime/ref.ts';
import { completedEvent, errorEvent, heartbeatEvent, progressEvent } from './agent-events.ts';
import { refuse, speakingAgent } from './swarm-agents.ts';
import { dispatch, release } from './swarm-leases.ts';
import type { AgentEntry, HeldTask, SwarmState } from './swarm-state.ts';

export function heartbeat(s: SwarmState, m: AgentHeartbeatMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.agentId, sender);
  if (agent === undefined) return;
  agent.telemetry = { cpuPercent: m.cpuPercent, memoryBytes: m.memoryBytes, health: m.health, tokenUsage: m.tokenUsage };
  s.deps.events?.publish(heartbeatEvent(m));
}

/** The task the report is about, when the agent holds it at that attempt; else the agent is told. */
function heldTask(agent: AgentEntry, taskId: string, attempt: number): HeldTask | undefined {
  const held = agent.tasks.get(taskId);
  if (held === undefined) {
    refuse(agent.ref, ErrorCode.NotFound, `you hold no task ${taskId.slice(0, 64)}`, taskId);
    return undefined;
  }
  if (held.attempt !== attempt) {
    refuse(agent.ref, ErrorCode.Conflict, `task ${taskId.slice(0, 64)} is at attempt ${held.attempt}, not ${attempt}`, taskId);
    return undefined;
  }
  return held;
}

const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

export function progress(s: SwarmState, m: TaskProgressMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.agentId, sender);
  const held = agent === undefined ? undefined : heldTask(agent, m.taskId, m.attempt);
  if (agent === undefined || held === undefined) return;
  if (bytesOf(m.partialResult) > s.limits.maxResultBytes) {
    refuse(agent.ref, ErrorCode.BadMessage, `a partial result is at most ${s.limits.maxResultBytes} bytes`, m.taskId);
    return;
  }
  held.progress = Math.min(1, Math.max(0, m.progress));
  s.deps.queue.tell({
    type: 'progress',
    taskId: m.taskId,
    agentId: agent.id,
    attempt: m.attempt,
    progress: held.progress,
    partial: m.partialResult,
  });
  s.graph.taskProgress({
    nodeId: held.nodeId,
    agentId: agent.id,
    taskId: held.taskId,
    attempt: held.attempt,
    description: held.description,
    agentNodeId: agent.nodeId,
    progress: held.progress,
  });
  s.deps.events?.publish(progressEvent(m));
}

export function completed(s: SwarmState, m: TaskCompletedMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.agentId, sender);
  const held = agent === undefined ? undefined : heldTask(agent, m.taskId, m.attempt);
  if (agent === undefined || held === undefined) return;
  const size = bytesOf(m.result);
  if (size > s.limits.maxResultBytes) {
    const message = `result of ${size} bytes is over the swarm's limit of ${s.limits.maxResultBytes}`;
    refuse(agent.ref, ErrorCode.BadMessage, message, m.taskId);
    s.deps.queue.tell({ type: 'agent-error', taskId: m.taskId, agentId: agent.id, attempt: m.attempt, message, recoverable: true });
    s.deps.events?.publish(errorEvent({ ...m, message, recoverable: true }));
  } else {
    s.deps.queue.tell({ type: 'completed', taskId: m.taskId, agentId: agent.id, attempt: m.attempt, success: m.success, result: m.result });
    s.deps.events?.publish(completedEvent(m));
  }
  release(s, agent, m.taskId);
  dispatch(s);
}

export function agentError(s: SwarmState, m: AgentErrorMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.agentId, sender);
  if (agent === undefined) return;
  if (m.taskId === '') {
    s.deps.log?.('info', { swarm: s.swarm, agentId: agent.id, error: m.message.slice(0, 200) }, 'agent reported an error');
    s.deps.events?.publish(errorEvent(m));
    return;
  }
  if (heldTask(agent, m.taskId, m.attempt) === undefined) return;
  s.deps.queue.tell({
    type: 'agent-error',
    taskId: m.taskId,
    agentId: agent.id,
    attempt: m.attempt,
    message: m.message,
    recoverable: m.recoverable,
  });
  s.deps.events?.publish(errorEvent(m));
  release(s, agent, m.taskId);
  dispatch(s);
}

/** Passed on to the named agents of this swarm (others are not reachable from here, and skipped). */
export function collaborate(s: SwarmState, m: CollaborationRequestMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.fromAgent, sender);
  if (agent === undefined) return;
  if (m.toAgents.length > s.limits.maxCollaborators) {
    refuse(agent.ref, ErrorCode.BadMessage, `a collaboration request names at most ${s.limits.maxCollaborators} agents`, m.taskId);
    return;
  }
  for (const id of new Set(m.toAgents)) if (id !== agent.id) s.agents.get(id)?.ref.tell(m);
}
