// The agent's actor in its own system: where the node's messages arrive. It hands them to the
// agent's core (which outlives this system) and keeps the heartbeat at the pace the node asked for.
import type { AgentInbound, AgentOutbound } from '../agent-protocol/messages.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { AgentCore } from './agent-core.ts';

interface HeartbeatDue {
  readonly kind: 'heartbeat-due';
}

export type AgentActorMessage = AgentInbound | HeartbeatDue;

/** Below this the node's heartbeat interval is taken as this: a hostile node cannot make us spin. */
const MIN_HEARTBEAT_MS = 100;

export function agentActor(core: AgentCore, registry: Ref<AgentOutbound>): ActorFactory<AgentActorMessage> {
  return (ctx) => ({
    preStart() {
      core.attach({ self: ctx.self as Ref<AgentInbound>, registry });
    },
    receive(message) {
      if (message.kind === 'heartbeat-due') {
        core.heartbeat();
        return;
      }
      core.receive(message);
      if (message.kind === 'agent-registered' && message.heartbeatMs > 0) {
        ctx.schedulePeriodic('heartbeat', Math.max(MIN_HEARTBEAT_MS, message.heartbeatMs), { kind: 'heartbeat-due' });
      }
    },
  });
}
