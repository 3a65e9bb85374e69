// The wire form of every agent message (messages.ts), each onto its table of schemas/agent.fbs
// (a refusal onto ErrorReply of schemas/error.fbs). Register AGENT_CODECS with the transport of
// every system that talks to agents: the node, and each agent process.
//
// Refs never travel inside these tables: the agent's ref in agent-register and the swarm's ref in
// agent-registered are the envelope's sender, which the transport has already checked to be on the
// sending system. A message that arrives without a sender gets a ref that dead-letters.
//
// Encoding refuses (RangeError) any field the receiver's verifier would refuse; decoding never
// throws on a verified table and always gives values in range (wire-fields.ts says why both).
import type { Builder } from 'flatbuffers';
import { AgentError } from '../protocol/generated/vf/agent-error.ts';
import { AgentHeartbeat } from '../protocol/generated/vf/agent-heartbeat.ts';
import { AgentRegister } from '../protocol/generated/vf/agent-register.ts';
import { AgentRegistered } from '../protocol/generated/vf/agent-registered.ts';
import { CollaborationRequest } from '../protocol/generated/vf/collaboration-request.ts';
import { ErrorCode } from '../protocol/generated/vf/error-code.ts';
import { ErrorReply } from '../protocol/generated/vf/error-reply.ts';
import { KnowledgeShare } from '../protocol/generated/vf/knowledge-share.ts';
import { Payload } from '../protocol/generated/vf/payload.ts';
import { TaskAssigned } from '../protocol/generated/vf/task-assigned.ts';
import { TaskCancel } from '../protocol/generated/vf/task-cancel.ts';
import { TaskCompleted } from '../protocol/generated/vf/task-completed.ts';
import { TaskProgress } from '../protocol/generated/vf/task-progress.ts';
import type { Ref } from '../runtime/ref.ts';
import { CodecRegistry, remotable, type RefReader, type RemoteCodec } from '../runtime/remote/codec-registry.ts';
import { addFieldInt64, readFieldInt64 } from '../runtime/remote/codec-numbers.ts';
import type {
  AgentErrorMsg,
  AgentHeartbeatMsg,
  AgentInbound,
  AgentOutbound,
  AgentRefusedMsg,
  AgentRegisteredMsg,
  AgentRegisterMsg,
  CollaborationRequestMsg,
  KnowledgeShareMsg,
  TaskAssignedMsg,
  TaskCancelMsg,
  TaskCompletedMsg,
  TaskProgressMsg,
} from './messages.ts';
import { boundedString, clampFloat, optionalString, truncateUtf8, u32, u53, u8, within } from './wire-fields.ts';
import { formatHolding, parseHolding } from './holding.ts';
import { AGENT_LIMITS as L } from './agent-limits.ts';

/** Where a message without a sender points: nothing lives there, so its tells dead-letter. */
const NO_SENDER_PATH = '/deadLetters/no-sender';

function senderOr<Msg>(sender: Ref<unknown> | undefined, refs: RefReader): Ref<Msg> {
  return (sender as Ref<Msg> | undefined) ?? refs.refFor<Msg>(NO_SENDER_PATH);
}

function stringVector(b: Builder, field: string, items: readonly string[], maxItems: number, maxBytes: number): number {
  if (items.length > maxItems) throw new RangeError(`${field} has ${items.length} entries, more than ${maxItems}`);
  const offsets = items.map((s, i) => boundedString(b, `${field}[${i}]`, s, maxBytes));
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function readStrings(length: number, at: (i: number) => string | null, max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(length, max); i++) out.push(at(i) ?? '');
  return out;
}

const agentRegister = remotable<AgentRegisterMsg, AgentRegister>({
  kind: 'agent-register',
  payload: Payload.AgentRegister,
  table: AgentRegister,
  encode(b, m) {
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const agentType = boundedString(b, 'agentType', m.agentType, L.agentType);
    const name = optionalString(b, 'name', m.name, L.name);
    const capabilities = stringVector(b, 'capabilities', m.capabilities, L.capabilities, L.capability);
    const swarm = optionalString(b, 'swarm', m.swarm, L.swarm);
    const maxConcurrent = u32('maxConcurrent', m.maxConcurrent, L.maxConcurrent);
    return AgentRegister.createAgentRegister(b, agentId, agentType, name, capabilities, 0, swarm, maxConcurrent);
  },
  decode: (t, refs, sender) => ({
    kind: 'agent-register',
    agentId: t.agentId() ?? '',
    agentType: t.agentType() ?? '',
    name: t.name() ?? '',
    capabilities: readStrings(t.capabilitiesLength(), (i) => t.capabilities(i), L.capabilities),
    swarm: t.swarm() ?? '',
    // The schema's rule: 0 counts as 1.
    maxConcurrent: within(t.maxConcurrent(), 1, L.maxConcurrent),
    agent: senderOr<AgentInbound>(sender, refs),
  }),
});

const agentRegistered = remotable<AgentRegisteredMsg, AgentRegistered>({
  kind: 'agent-registered',
  payload: Payload.AgentRegistered,
  table: AgentRegistered,
  encode(b, m) {
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const swarm = boundedString(b, 'swarm', m.swarm, L.swarm);
    const holding = stringVector(
      b,
      'holding',
      m.holding.map((h) => formatHolding(h)),
      L.holding,
      L.id + 11,
    );
    return AgentRegistered.createAgentRegistered(b, agentId, swarm, u32('nodeId', m.nodeId), u32('heartbeatMs', m.heartbeatMs), holding);
  },
  decode(t, refs, sender) {
    const holding: { taskId: string; attempt: number }[] = [];
    for (let i = 0; i < Math.min(t.holdingLength(), L.holding); i++) {
      const entry = parseHolding(t.holding(i) ?? '');
      if (entry !== undefined) holding.push(entry);
    }
    return {
      kind: 'agent-registered',
      agentId: t.agentId() ?? '',
      swarm: t.swarm() ?? '',
      nodeId: t.nodeId(),
      heartbeatMs: t.heartbeatMs(),
      holding,
      swarmRef: senderOr<AgentOutbound>(sender, refs),
    };
  },
});

/** ErrorReply has no task field: the task id rides at the front of the message, "[task ID] ...". */
const TASK_PREFIX = /^\[task ([^\]\s]{1,256})\] /;

const agentRefused = remotable<AgentRefusedMsg, ErrorReply>({
  kind: 'agent-refused',
  payload: Payload.ErrorReply,
  table: ErrorReply,
  encode(b, m) {
    if (ErrorCode[m.code] === undefined) throw new RangeError(`code ${m.code} is not an ErrorCode`);
    const tagged = m.taskId !== undefined && /^[^\]\s]{1,256}$/.test(m.taskId) ? `[task ${m.taskId}] ${m.message}` : m.message;
    // A refusal's text is for people: cut to fit rather than lose the refusal.
    const message = boundedString(b, 'message', truncateUtf8(tagged, L.errorReplyMessage), L.errorReplyMessage);
    return ErrorReply.createErrorReply(b, m.code, message);
  },
  decode(t) {
    const text = t.message() ?? '';
    const tagged = TASK_PREFIX.exec(text);
    return tagged === null
      ? { kind: 'agent-refused', code: t.code(), message: text }
      : { kind: 'agent-refused', code: t.code(), message: text.slice(tagged[0].length), taskId: tagged[1]! };
  },
});

// AgentHeartbeat fields: agent_id 0, cpu_percent 1, memory_bytes 2, active_tasks 3, health 4, token_usage 5.
const agentHeartbeat = remotable<AgentHeartbeatMsg, AgentHeartbeat>({
  kind: 'agent-heartbeat',
  payload: Payload.AgentHeartbeat,
  table: AgentHeartbeat,
  encode(b, m) {
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const memory = u53('memoryBytes', m.memoryBytes);
    const tokens = u53('tokenUsage', m.tokenUsage);
    AgentHeartbeat.startAgentHeartbeat(b);
    AgentHeartbeat.addAgentId(b, agentId);
    AgentHeartbeat.addCpuPercent(b, clampFloat(m.cpuPercent, 0, L.cpuPercent));
    addFieldInt64(b, 2, memory);
    AgentHeartbeat.addActiveTasks(b, u32('activeTasks', m.activeTasks));
    AgentHeartbeat.addHealth(b, clampFloat(m.health, 0, 1));
    addFieldInt64(b, 5, tokens);
    return AgentHeartbeat.endAgentHeartbeat(b);
  },
  decode: (t) => ({
    kind: 'agent-heartbeat',
    agentId: t.agentId() ?? '',
    cpuPercent: within(t.cpuPercent(), 0, L.cpuPercent),
    memoryBytes: within(readFieldInt64(t, 2), 0, Number.MAX_SAFE_INTEGER),
    activeTasks: t.activeTasks(),
    health: within(t.health(), 0, 1),
    tokenUsage: within(readFieldInt64(t, 5), 0, Number.MAX_SAFE_INTEGER),
  }),
});

// TaskAssigned fields: task_id 0, agent_id 1, parent_task_id 2, description 3, priority 4,
// deadline_ms 5, attempt 6, capability 7, input 8.
const taskAssigned = remotable<TaskAssignedMsg, TaskAssigned>({
  kind: 'task-assigned',
  payload: Payload.TaskAssigned,
  table: TaskAssigned,
  encode(b, m) {
    const taskId = boundedString(b, 'taskId', m.taskId, L.id);
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const parent = optionalString(b, 'parentTaskId', m.parentTaskId, L.id);
    const description = optionalString(b, 'description', m.description, L.description);
    const capability = optionalString(b, 'capability', m.capability, L.capability);
    const input = optionalString(b, 'input', m.input, L.payloadText);
    const deadline = u53('deadlineMs', m.deadlineMs);
    TaskAssigned.startTaskAssigned(b);
    TaskAssigned.addTaskId(b, taskId);
    TaskAssigned.addAgentId(b, agentId);
    if (parent !== 0) TaskAssigned.addParentTaskId(b, parent);
    if (description !== 0) TaskAssigned.addDescription(b, description);
    TaskAssigned.addPriority(b, u8('priority', m.priority));
    addFieldInt64(b, 5, deadline);
    TaskAssigned.addAttempt(b, u32('attempt', m.attempt));
    if (capability !== 0) TaskAssigned.addCapability(b, capability);
    if (input !== 0) TaskAssigned.addInput(b, input);
    return TaskAssigned.endTaskAssigned(b);
  },
  decode: (t) => ({
    kind: 'task-assigned',
    taskId: t.taskId() ?? '',
    agentId: t.agentId() ?? '',
    parentTaskId: t.parentTaskId() ?? '',
    description: t.description() ?? '',
    capability: t.capability() ?? '',
    input: t.input() ?? '',
    priority: t.priority(),
    deadlineMs: within(readFieldInt64(t, 5), 0, Number.MAX_SAFE_INTEGER),
    attempt: t.attempt(),
  }),
});

const taskProgress = remotable<TaskProgressMsg, TaskProgress>({
  kind: 'task-progress',
  payload: Payload.TaskProgress,
  table: TaskProgress,
  encode(b, m) {
    const taskId = boundedString(b, 'taskId', m.taskId, L.id);
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const partial = optionalString(b, 'partialResult', m.partialResult, L.payloadText);
    return TaskProgress.createTaskProgress(b, taskId, agentId, clampFloat(m.progress, 0, 1), partial, u32('attempt', m.attempt));
  },
  decode: (t) => ({
    kind: 'task-progress',
    taskId: t.taskId() ?? '',
    agentId: t.agentId() ?? '',
    attempt: t.attempt(),
    progress: within(t.progress(), 0, 1),
    partialResult: t.partialResult() ?? '',
  }),
});

const taskCompleted = remotable<TaskCompletedMsg, TaskCompleted>({
  kind: 'task-completed',
  payload: Payload.TaskCompleted,
  table: TaskCompleted,
  encode(b, m) {
    const taskId = boundedString(b, 'taskId', m.taskId, L.id);
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const result = optionalString(b, 'result', m.result, L.payloadText);
    if (!Number.isFinite(m.durationMs) || m.durationMs < 0) throw new RangeError(`durationMs must be finite and >= 0, got ${m.durationMs}`);
    return TaskCompleted.createTaskCompleted(b, taskId, agentId, m.success, result, m.durationMs, u32('attempt', m.attempt));
  },
  decode: (t) => ({
    kind: 'task-completed',
    taskId: t.taskId() ?? '',
    agentId: t.agentId() ?? '',
    attempt: t.attempt(),
    success: t.success(),
    result: t.result() ?? '',
    durationMs: within(t.durationMs(), 0, Number.MAX_VALUE),
  }),
});

const agentError = remotable<AgentErrorMsg, AgentError>({
  kind: 'agent-error',
  payload: Payload.AgentError,
  table: AgentError,
  encode(b, m) {
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const taskId = optionalString(b, 'taskId', m.taskId, L.id);
    const message = optionalString(b, 'message', m.message, L.description);
    return AgentError.createAgentError(b, agentId, taskId, message, m.recoverable, u32('attempt', m.attempt));
  },
  decode: (t) => ({
    kind: 'agent-error',
    agentId: t.agentId() ?? '',
    taskId: t.taskId() ?? '',
    attempt: t.attempt(),
    message: t.message() ?? '',
    recoverable: t.recoverable(),
  }),
});

const taskCancel = remotable<TaskCancelMsg, TaskCancel>({
  kind: 'task-cancel',
  payload: Payload.TaskCancel,
  table: TaskCancel,
  encode(b, m) {
    const taskId = boundedString(b, 'taskId', m.taskId, L.id);
    const reason = optionalString(b, 'reason', m.reason, L.reason);
    return TaskCancel.createTaskCancel(b, taskId, u32('attempt', m.attempt), reason);
  },
  decode: (t) => ({ kind: 'task-cancel', taskId: t.taskId() ?? '', attempt: t.attempt(), reason: t.reason() ?? '' }),
});

const collaborationRequest = remotable<CollaborationRequestMsg, CollaborationRequest>({
  kind: 'collaboration-request',
  payload: Payload.CollaborationRequest,
  table: CollaborationRequest,
  encode(b, m) {
    const from = boundedString(b, 'fromAgent', m.fromAgent, L.id);
    const to = stringVector(b, 'toAgents', m.toAgents, L.collaborators, L.id);
    const taskId = optionalString(b, 'taskId', m.taskId, L.id);
    const message = optionalString(b, 'message', m.message, L.description);
    return CollaborationRequest.createCollaborationRequest(b, from, to, taskId, message);
  },
  decode: (t) => ({
    kind: 'collaboration-request',
    fromAgent: t.fromAgent() ?? '',
    toAgents: readStrings(t.toAgentsLength(), (i) => t.toAgents(i), L.collaborators),
    taskId: t.taskId() ?? '',
    message: t.message() ?? '',
  }),
});

const knowledgeShare = remotable<KnowledgeShareMsg, KnowledgeShare>({
  kind: 'knowledge-share',
  payload: Payload.KnowledgeShare,
  table: KnowledgeShare,
  encode(b, m) {
    const agentId = boundedString(b, 'agentId', m.agentId, L.id);
    const topic = optionalString(b, 'topic', m.topic, L.topic);
    const content = optionalString(b, 'content', m.content, L.payloadText);
    if (m.nodeIds.length > L.nodeIds) throw new RangeError(`nodeIds has ${m.nodeIds.length} entries, more than ${L.nodeIds}`);
    const ids = Uint32Array.from(m.nodeIds, (id, i) => u32(`nodeIds[${i}]`, id));
    const nodeIds = KnowledgeShare.createNodeIdsVector(b, ids);
    return KnowledgeShare.createKnowledgeShare(b, agentId, topic, content, nodeIds);
  },
  decode(t) {
    const nodeIds: number[] = [];
    for (let i = 0; i < Math.min(t.nodeIdsLength(), L.nodeIds); i++) nodeIds.push(t.nodeIds(i) ?? 0);
    return { kind: 'knowledge-share', agentId: t.agentId() ?? '', topic: t.topic() ?? '', content: t.content() ?? '', nodeIds };
  },
});

/** Every agent message's codec: register them with the transport of the node and of each agent. */
export const AGENT_CODECS: readonly RemoteCodec[] = [
  agentRegister,
  agentRegistered,
  agentRefused,
  agentHeartbeat,
  taskAssigned,
  taskProgress,
  taskCompleted,
  agentError,
  taskCancel,
  collaborationRequest,
  knowledgeShare,
];

/** A registry with the agent codecs alone (an agent process needs no others). */
export function agentCodecRegistry(): CodecRegistry {
  return new CodecRegistry(AGENT_CODECS);
}
