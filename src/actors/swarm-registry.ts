// The swarms registry (SWARMS_PATH, /app/agents/swarms): where every agent registers. It checks the
// registration (the agent id is the sender's system address, which the remote transport proved with
// the agent's token; the fields are sane), then hands it, sender and all, to the dispatcher of the
// swarm it names ("default" when none), starting that swarm's supervisor on first use. Swarms are
// bounded in number; anything refused is answered with an agent-refused saying why.
import { SWARMS_PATH, type AgentOutbound, type AgentRegisterMsg } from '../agent-protocol/messages.ts';
import { ErrorCode } from '../protocol/index.ts';
import type { ActorFactory, ActorContext } from '../runtime/actor.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { Ref } from '../runtime/ref.ts';
import type { SupervisorStrategy } from '../runtime/supervision.ts';
import { refuse } from './swarm-agents.ts';
import { DISPATCHER_NAME } from './swarm-dispatcher.ts';
import type { SwarmMsg } from './swarm-messages.ts';
import { remoteAddressOf, type SwarmDeps } from './swarm-options.ts';
import { swarmSupervisor } from './swarm-supervisor.ts';

/** Its name under /app/agents. */
export const SWARMS_NAME = SWARMS_PATH.slice(SWARMS_PATH.lastIndexOf('/') + 1);
export const DEFAULT_SWARM = 'default';

export interface SwarmRegistryOptions extends SwarmDeps {
  /** Swarms at once; a registration for another is refused with Overloaded (default 64). */
  readonly maxSwarms?: number;
  /** How each swarm's supervisor treats its dispatcher (one-for-one with backoff, from the tree). */
  readonly swarmSupervision?: SupervisorStrategy;
}

const SWARM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_CAPABILITIES = 64;
const MAX_CAPABILITY_LENGTH = 128;
const MAX_CONCURRENT = 1024;

export function swarmRegistry(options: SwarmRegistryOptions): ActorFactory<AgentOutbound> {
  const registry: Registry = { options, maxSwarms: options.maxSwarms ?? 64, identify: options.identify ?? remoteAddressOf };
  return (ctx) => ({
    receive: (msg) => (msg.kind === 'agent-register' ? register(ctx, registry, msg) : notRegistration(registry, ctx.sender)),
  });
}

interface Registry {
  readonly options: SwarmRegistryOptions;
  readonly maxSwarms: number;
  readonly identify: (sender: Ref<unknown> | undefined) => string | undefined;
}

function notRegistration(r: Registry, sender: Ref<unknown> | undefined): void {
  if (r.identify(sender) !== undefined) refuse(sender, ErrorCode.BadMessage, `register first: ${SWARMS_PATH} takes only agent-register`);
}

function register(ctx: ActorContext<AgentOutbound>, r: Registry, msg: AgentRegisterMsg): void {
  const sender = ctx.sender;
  const who = r.identify(sender);
  if (who === undefined || who !== msg.agentId || r.identify(msg.agent) !== msg.agentId) {
    // Answered where it came from, never at the ref it names: that may be another system's.
    if (who !== undefined)
      refuse(sender, ErrorCode.Unauthorized, `you are ${who.slice(0, 64)}: register as that agent, with your own actor`);
    return;
  }
  const problem = registrationProblem(msg);
  if (problem !== undefined) return refuse(msg.agent, ErrorCode.BadMessage, problem);
  const swarm = msg.swarm === '' ? DEFAULT_SWARM : msg.swarm;
  const dispatcher = dispatcherOf(ctx, swarm, r.options, r.maxSwarms);
  if (dispatcher === undefined) return refuse(msg.agent, ErrorCode.Overloaded, `this node runs at most ${r.maxSwarms} swarms`);
  dispatcher.tell(msg, sender);
}

function registrationProblem(m: AgentRegisterMsg): string | undefined {
  if (m.agentType.trim() === '') return 'agent_type is required';
  if (m.swarm !== '' && !SWARM_NAME.test(m.swarm)) return 'a swarm name is 1 to 64 letters, digits, - or _';
  if (m.capabilities.length > MAX_CAPABILITIES) return `at most ${MAX_CAPABILITIES} capabilities`;
  if (m.capabilities.some((c) => c === '' || c.length > MAX_CAPABILITY_LENGTH))
    return `a capability is 1 to ${MAX_CAPABILITY_LENGTH} characters`;
  if (!Number.isInteger(m.maxConcurrent) || m.maxConcurrent < 0 || m.maxConcurrent > MAX_CONCURRENT) {
    return `max_concurrent is 0 to ${MAX_CONCURRENT}`;
  }
  return undefined;
}

/** The swarm's dispatcher, its supervisor started first when there is room for another swarm. */
function dispatcherOf(
  ctx: ActorContext<AgentOutbound>,
  swarm: string,
  options: SwarmRegistryOptions,
  maxSwarms: number,
): Ref<SwarmMsg> | undefined {
  let supervisor = ctx.child<never>(swarm);
  if (supervisor === undefined) {
    if (ctx.children().length >= maxSwarms) return undefined;
    supervisor = ctx.spawn(swarmSupervisor(swarm, options), {
      name: swarm,
      ...(options.swarmSupervision === undefined ? {} : { supervision: options.swarmSupervision }),
    });
  }
  // Spawning runs the supervisor's preStart at once, which spawns the dispatcher. By path: a
  // dispatcher between two incarnations dead-letters the message as any absent actor does.
  return pathRef<SwarmMsg>(ctx.system, `${supervisor.path}/${DISPATCHER_NAME}`);
}
