// The agent SDK: connect an agent to a VisionFlow node and run its tasks. docs/agents.md.
export { Agent, connectAgent, type ConnectAgentOptions } from './connect-agent.ts';
export type { AgentEvent, TaskOutcome } from './agent-events.ts';
export type { AgentTask, CollaborationHandler, TaskContext, TaskHandler } from './task-context.ts';
export { AgentConfigError, AgentConnectError, AgentRefusedError, NodeDiscoveryError, TaskError } from './errors.ts';
export { discoverNode, remoteUrlOf, type NodeEndpoint } from './node-address.ts';
export { readTokenClaims } from './token-claims.ts';
