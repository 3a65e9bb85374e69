// The agent events clients see on Topic.Agents, as wire payloads (schemas/agent.fbs): what the
// swarm decided or heard, with long texts cut, since every subscribed viewer gets each of them.
import type {
  AgentErrorMsg,
  AgentHeartbeatMsg,
  AgentRegisterMsg,
  TaskAssignedMsg,
  TaskCompletedMsg,
  TaskProgressMsg,
} from '../agent-protocol/messages.ts';
import { AgentErrorT, AgentHeartbeatT, AgentRegisterT, TaskAssignedT, TaskCompletedT, TaskProgressT } from '../protocol/index.ts';

/** Longest text an event carries (results and inputs may be a megabyte). */
const MAX_EVENT_TEXT = 1_024;
const clip = (text: string): string => (text.length > MAX_EVENT_TEXT ? text.slice(0, MAX_EVENT_TEXT) : text);
const u64 = (n: number): bigint => BigInt(Number.isSafeInteger(n) && n > 0 ? n : 0);

export function registeredEvent(m: AgentRegisterMsg, swarm: string, nodeId: number, maxConcurrent: number): AgentRegisterT {
  return new AgentRegisterT(m.agentId, m.agentType, clip(m.name), [...m.capabilities], nodeId, swarm, maxConcurrent);
}

export function heartbeatEvent(m: AgentHeartbeatMsg): AgentHeartbeatT {
  return new AgentHeartbeatT(m.agentId, m.cpuPercent, u64(m.memoryBytes), m.activeTasks, m.health, u64(m.tokenUsage));
}

export function assignedEvent(m: TaskAssignedMsg): TaskAssignedT {
  return new TaskAssignedT(
    m.taskId,
    m.agentId,
    m.parentTaskId,
    clip(m.description),
    m.priority,
    u64(m.deadlineMs),
    m.attempt,
    m.capability,
    null,
  );
}

export function progressEvent(m: TaskProgressMsg): TaskProgressT {
  return new TaskProgressT(m.taskId, m.agentId, m.progress, clip(m.partialResult), m.attempt);
}

export function completedEvent(m: TaskCompletedMsg): TaskCompletedT {
  return new TaskCompletedT(m.taskId, m.agentId, m.success, clip(m.result), m.durationMs, m.attempt);
}

export function errorEvent(m: Pick<AgentErrorMsg, 'agentId' | 'taskId' | 'message' | 'recoverable' | 'attempt'>): AgentErrorT {
  return new AgentErrorT(m.agentId, m.taskId, clip(m.message), m.recoverable, m.attempt);
}
