// The bounds of schemas/agent.fbs (and ErrorReply's of error.fbs) that the codecs and the SDK
// check before sending: the verifier of the receiving end refuses the whole frame beyond them.
// Strings in UTF-8 bytes, vectors in entries. They must follow the schemas' vf_max_len and vf_max.
export const AGENT_LIMITS = {
  /** agent_id, task_id, parent_task_id, from_agent, each of to_agents. */
  id: 256,
  agentType: 128,
  name: 256,
  capability: 128,
  /** Entries of AgentRegister.capabilities. */
  capabilities: 256,
  swarm: 64,
  maxConcurrent: 1024,
  /** Entries of AgentRegistered.holding. */
  holding: 1024,
  /** TaskAssigned.description, AgentError.message, CollaborationRequest.message. */
  description: 65536,
  /** TaskAssigned.input, TaskProgress.partial_result, TaskCompleted.result, KnowledgeShare.content. */
  payloadText: 1048576,
  reason: 1024,
  topic: 1024,
  /** Entries of CollaborationRequest.to_agents. */
  collaborators: 1024,
  /** Entries of KnowledgeShare.node_ids. */
  nodeIds: 100000,
  cpuPercent: 100000,
  /** ErrorReply.message. */
  errorReplyMessage: 4096,
} as const;
