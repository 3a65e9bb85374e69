// A stand-in for a VisionFlow node's swarm, in the test process: an actor system named node-1 on a
// remote transport that accepts agents with tokens signed by TEST_TOKENS, and one actor at the
// swarms path that registers agents, answers as their swarm, records every message and assigns or
// cancels tasks when the test says so. It counts a task as the agent's from its assignment until
// the agent completes it or reports an error on it (or the test forgets it), and says so in
// `holding` when the agent registers again.
import type { ExecutionContext } from 'ava';
import { agentCodecRegistry } from '../../../src/agent-protocol/codecs.ts';
import type {
  AgentInbound,
  AgentOutbound,
  AgentRefusedMsg,
  AgentRegisterMsg,
  TaskAssignedMsg,
} from '../../../src/agent-protocol/messages.ts';
import { TokenAuthority } from '../../../src/auth/token.ts';
import type { ActorFactory } from '../../../src/runtime/actor.ts';
import { parsePath } from '../../../src/runtime/path.ts';
import type { Ref } from '../../../src/runtime/ref.ts';
import type { RemoteEvent } from '../../../src/runtime/remote/remote-events.ts';
import { RemoteTransport } from '../../../src/runtime/remote/remote-transport.ts';
import { ActorSystem } from '../../../src/runtime/system.ts';
import { pollUntil } from '../../helpers/poll.ts';

export const TEST_TOKENS = new TokenAuthority(Buffer.alloc(32, 7));
export const NODE_ADDRESS = 'node-1';

/** Timings for tests: quick heartbeats and reconnects, a detector patient with a loaded machine. */
export const TEST_LIMITS = { heartbeatMs: 100, downAfterMs: 10_000, reconnectMinMs: 50, reconnectMaxMs: 300, handshakeTimeoutMs: 20_000 };

export function agentToken(sub: string): string {
  return TEST_TOKENS.mint({ sub, role: 'agent', ttlSeconds: 3_600 });
}

export interface FakeNodeOptions {
  /** Heartbeat interval the node asks for. */
  readonly heartbeatMs?: number;
  /** The node's failure detector bound (default TEST_LIMITS'). */
  readonly downAfterMs?: number;
  /** A refusal for a registration, or undefined to accept it. */
  readonly refuse?: (m: AgentRegisterMsg) => Omit<AgentRefusedMsg, 'kind'> | undefined;
  /** Whether to leave a registration unanswered (as a swarm between two incarnations does). */
  readonly ignore?: (m: AgentRegisterMsg) => boolean;
}

export interface FakeNode {
  readonly system: ActorSystem;
  readonly transport: RemoteTransport;
  readonly url: string;
  /** Every message agents sent, in arrival order. */
  readonly received: AgentOutbound[];
  readonly events: RemoteEvent[];
  assign(agentId: string, task: Partial<TaskAssignedMsg> & { taskId: string; input: string }): void;
  cancel(agentId: string, taskId: string, attempt: number, reason?: string): void;
  /** The node stops counting the task as the agent's (as if it reassigned it). */
  forget(agentId: string, taskId: string): void;
  /** The node counts the attempt as the agent's again (as a node that restarted before storing its report). */
  hold(agentId: string, taskId: string, attempt: number): void;
  holding(agentId: string): string[];
  /** The swarm forgets the agent, as a restarted one has: it refuses the agent with NotFound. */
  disown(agentId: string): void;
  registrations(agentId: string): number;
  waitFor<T extends AgentOutbound>(what: string, match: (m: AgentOutbound) => m is T, limitMs?: number): Promise<T>;
  waitFor(what: string, match: (m: AgentOutbound) => boolean, limitMs?: number): Promise<AgentOutbound>;
}

export async function startFakeNode(t: ExecutionContext, options: FakeNodeOptions = {}): Promise<FakeNode> {
  const system = new ActorSystem({ name: NODE_ADDRESS });
  const received: AgentOutbound[] = [];
  const agents = new Map<string, Ref<AgentInbound>>();
  const held = new Map<string, Map<string, number>>();
  const registered = new Map<string, number>();
  let swarmSelf: Ref<unknown> | undefined;

  const swarms: ActorFactory<AgentOutbound> = (ctx) => ({
    preStart() {
      swarmSelf = ctx.self;
    },
    receive(m) {
      if (received.length < 100_000) received.push(m);
      if (m.kind === 'agent-register') {
        const address = parsePath(m.agent.path)?.address;
        const refusal =
          address !== m.agentId ? { code: 2, message: `agent ${m.agentId} writes from ${String(address)}` } : options.refuse?.(m);
        if (refusal !== undefined) {
          m.agent.tell({ kind: 'agent-refused', ...refusal }, ctx.self);
          return;
        }
        if (options.ignore?.(m) === true) return;
        agents.set(m.agentId, m.agent);
        registered.set(m.agentId, (registered.get(m.agentId) ?? 0) + 1);
        const tasks = held.get(m.agentId) ?? new Map<string, number>();
        held.set(m.agentId, tasks);
        m.agent.tell(
          {
            kind: 'agent-registered',
            agentId: m.agentId,
            swarm: m.swarm === '' ? 'default' : m.swarm,
            nodeId: 42,
            heartbeatMs: options.heartbeatMs ?? 200,
            holding: [...tasks].map(([taskId, attempt]) => ({ taskId, attempt })),
            swarmRef: ctx.self as Ref<AgentOutbound>,
          },
          ctx.self,
        );
      } else if (m.kind === 'task-completed' || m.kind === 'agent-error') {
        held.get(m.agentId)?.delete(m.taskId);
      }
    },
  });
  const app: ActorFactory<never> = (ctx) => ({
    preStart() {
      ctx.spawn<never>((c) => ({ preStart: () => void c.spawn(swarms, { name: 'swarms' }), receive: () => undefined }), { name: 'agents' });
    },
    receive: () => undefined,
  });
  system.spawn(app, { name: 'app' });
  const transport = await RemoteTransport.start(system, {
    listen: { host: '127.0.0.1' },
    codecs: agentCodecRegistry(),
    tokens: TEST_TOKENS,
    limits: { ...TEST_LIMITS, ...(options.downAfterMs === undefined ? {} : { downAfterMs: options.downAfterMs }) },
  });
  const events: RemoteEvent[] = [];
  transport.events.subscribe((e) => events.push(e));
  t.teardown(async () => {
    await system.terminate();
  });
  await pollUntil(() => swarmSelf !== undefined, { limitMs: 5_000, what: 'the fake swarm started' });

  const agentRef = (agentId: string): Ref<AgentInbound> => {
    const ref = agents.get(agentId);
    if (ref === undefined) throw new Error(`${agentId} has not registered`);
    return ref;
  };
  return {
    system,
    transport,
    url: transport.url!,
    received,
    events,
    disown(agentId) {
      const message = `${agentId} is not registered in swarm default: register again`;
      agentRef(agentId).tell({ kind: 'agent-refused', code: 3, message }, swarmSelf);
    },
    assign(agentId, task) {
      const full: TaskAssignedMsg = {
        kind: 'task-assigned',
        agentId,
        parentTaskId: '',
        description: '',
        capability: 'count',
        priority: 0,
        deadlineMs: 0,
        attempt: 1,
        ...task,
      };
      held.get(agentId)?.set(full.taskId, full.attempt);
      agentRef(agentId).tell(full, swarmSelf);
    },
    cancel(agentId, taskId, attempt, reason = 'cancelled by the test') {
      held.get(agentId)?.delete(taskId);
      agentRef(agentId).tell({ kind: 'task-cancel', taskId, attempt, reason }, swarmSelf);
    },
    forget(agentId, taskId) {
      held.get(agentId)?.delete(taskId);
    },
    hold(agentId, taskId, attempt) {
      held.get(agentId)?.set(taskId, attempt);
    },
    holding: (agentId) => [...(held.get(agentId) ?? new Map<string, number>()).keys()],
    registrations: (agentId) => registered.get(agentId) ?? 0,
    waitFor: (what: string, match: (m: AgentOutbound) => boolean, limitMs = 20_000) =>
      pollUntil(() => received.find(match), { limitMs, everyMs: 10, what }),
  } as FakeNode;
}
