// connectAgent: an agent as a remote actor of a VisionFlow node. It registers with the node's
// swarms, runs the tasks the node assigns through `onTask`, reports progress and results, sends
// heartbeats with telemetry, survives dropped connections (resuming the tasks the node still
// counts as its own) and tells its caller what happens on `agent.events`. docs/agents.md.
import { AGENT_LIMITS } from '../agent-protocol/agent-limits.ts';
import { EventStream } from '../runtime/event-stream.ts';
import { parsePath } from '../runtime/path.ts';
import type { Ref } from '../runtime/ref.ts';
import type { RemoteCodec } from '../runtime/remote/codec-registry.ts';
import type { DialTls } from '../runtime/remote/dial-handshake.ts';
import type { RemoteEvent } from '../runtime/remote/remote-events.ts';
import type { RemoteLimits } from '../runtime/remote/remote-limits.ts';
import type { AgentEvent } from './agent-events.ts';
import { AgentCore } from './agent-core.ts';
import { AgentSession } from './agent-session.ts';
import { ErrorCode } from '../protocol/generated/vf/error-code.ts';
import { AgentConfigError, AgentConnectError, type AgentRefusedError } from './errors.ts';
import { discoverNode, remoteUrlOf, type NodeEndpoint } from './node-address.ts';
import { Telemetry } from './telemetry.ts';
import type { CollaborationHandler, TaskHandler } from './task-context.ts';
import { readTokenClaims } from './token-claims.ts';

export interface ConnectAgentOptions {
  /** The node's HTTP (or WebSocket) base URL, e.g. http://127.0.0.1:8080: its address is asked at /remote. */
  readonly url?: string;
  /** The node's address, and optionally its remote endpoint (default: /remote on `url`); skips discovery. */
  readonly node?: { readonly address: string; readonly url?: string };
  /** A token with role agent whose subject is the agent id. */
  readonly token: string;
  /** What kind of agent this is ("linker", "summariser", ...). */
  readonly type: string;
  /** The capabilities tasks are dispatched by. */
  readonly capabilities: readonly string[];
  /** Default: the token's subject; must equal it. */
  readonly id?: string;
  readonly name?: string;
  /** Default: the default swarm. */
  readonly swarm?: string;
  /** Tasks at once; default 1. */
  readonly maxConcurrent?: number;
  readonly onTask: TaskHandler;
  readonly onCollaboration?: CollaborationHandler;
  /** How long to wait for the node to accept the registration; default 30 s. */
  readonly registerTimeoutMs?: number;
  /** Codecs of other messages this agent sends or asks with (the agent messages' are always there). */
  readonly codecs?: readonly RemoteCodec[];
  readonly limits?: Partial<RemoteLimits>;
  /** For a wss:// node: the CA to trust. */
  readonly tls?: DialTls;
}

/** Delays between rejoins after the node declared this agent down: doubling, capped. */
const REJOIN_MIN_MS = 500;
const REJOIN_MAX_MS = 10_000;
/**
 * After a rejoin the node may still count the old incarnation as the agent for a moment, and
 * refuse the new one's registration as a conflict; and a swarm that dropped the agent (missed
 * heartbeats) or restarted answers its next message with NotFound. Both are tried again this many
 * times, doubling the delay from REJOIN_MIN_MS, before the refusal ends the agent.
 */
const REGISTER_RETRIES = 4;
/** How long a registration sent again may go unanswered before it is sent once more. */
const REGISTER_ANSWER_MS = 5_000;
/** The runtime's timers do not hold the process open; a connected agent does, until it closes. */
const KEEP_ALIVE_MS = 2 ** 30;

export class Agent {
  readonly events = new EventStream<AgentEvent>();
  /** Settles when the agent has stopped: with the error that stopped it, if any. */
  readonly closed: Promise<Error | undefined>;
  private session: AgentSession | undefined;
  private readonly core: AgentCore;
  private lostSinceUp = false;
  private rejoins = 0;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  private resolveClosed!: (error: Error | undefined) => void;

  /** @internal use connectAgent */
  constructor(
    readonly id: string,
    readonly node: NodeEndpoint,
    private readonly options: ConnectAgentOptions,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const maxConcurrent = options.maxConcurrent ?? 1;
    this.core = new AgentCore(
      {
        agentId: id,
        agentType: options.type,
        name: options.name ?? '',
        capabilities: options.capabilities,
        swarm: options.swarm ?? '',
        maxConcurrent,
      },
      options.onTask,
      options.onCollaboration,
      new Telemetry(),
      this.events,
    );
    this.events.subscribe((event) => {
      if (event.type === 'registered') {
        this.rejoins = 0;
        this.retries = 0;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      if (event.type === 'refused' && event.error.taskId === undefined) this.registrationRefused(event.error);
    });
  }

  get registered(): boolean {
    return this.core.isRegistered;
  }

  get activeTasks(): number {
    return this.core.activeTasks;
  }

  /** @internal */
  async start(): Promise<void> {
    this.session = await this.startSession();
  }

  /**
   * Asks any actor the agent may reach (on the node: /app/agents/...) and waits for its answer.
   * `path` is qualified (vf://node-1/app/agents/x) or local to the node (/app/agents/x).
   */
  ask<Req, Res>(path: string, makeMessage: (replyTo: Ref<Res>) => Req, timeoutMs: number): Promise<Res> {
    const session = this.session;
    if (session === undefined || this.closing) return Promise.reject(new AgentConnectError('the agent is not connected'));
    const qualified = path.startsWith('/') ? `vf://${this.node.address}${path}` : path;
    const target = parsePath(qualified) === undefined ? undefined : session.system.resolve<Req>(qualified);
    if (target === undefined) return Promise.reject(new RangeError(`${path} is not a path this agent can reach`));
    return session.system.ask<Req, Res>(target, makeMessage, timeoutMs);
  }

  /** Stops every task, closes the connection and the actor system. */
  close(): Promise<void> {
    return this.stop(undefined);
  }

  private async stop(error: Error | undefined): Promise<void> {
    if (this.closing) {
      await this.closed;
      return;
    }
    this.closing = true;
    clearTimeout(this.rejoinTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.keepAlive);
    this.core.close(error === undefined ? 'the agent is closing' : error.message);
    const session = this.session;
    this.session = undefined;
    this.core.detach();
    await session?.stop();
    this.events.publish(error === undefined ? { type: 'closed' } : { type: 'closed', error });
    this.resolveClosed(error);
  }

  /**
   * A refused registration ends the agent (the node will not take it as it is), but for one that
   * registering again may mend: a conflict after a rejoin, or a swarm that no longer knows the agent.
   */
  private registrationRefused(error: AgentRefusedError): void {
    if (this.closing) return;
    const forgotten = error.code === ErrorCode.NotFound && /register again/.test(error.reason);
    if (forgotten && this.retryTimer !== undefined) return; // the swarm refuses each message until then
    if (!(forgotten || error.code === ErrorCode.Conflict) || !this.core.hasRegistered || this.retries >= REGISTER_RETRIES) {
      void this.stop(error);
      return;
    }
    if (forgotten) this.core.unregistered();
    this.registerAgain(`${error.message}: registering again`);
  }

  /**
   * Registers again after the next delay, and again while no answer comes (a swarm between two
   * incarnations drops a registration unanswered), until the retries are spent.
   */
  private registerAgain(why: string): void {
    const delay = REJOIN_MIN_MS * 2 ** this.retries++;
    this.events.publish({ type: 'warning', message: `${why} in ${delay} ms` });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.core.register();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.closing || this.core.isRegistered) return;
        if (this.retries >= REGISTER_RETRIES) void this.stop(new AgentConnectError('the node did not answer the registration again'));
        else this.registerAgain('no answer to the registration: registering again');
      }, REGISTER_ANSWER_MS);
    }, delay);
  }

  private transportEvent(event: RemoteEvent): void {
    if (this.closing) return;
    if (event.type === 'connection-lost') {
      this.lostSinceUp = true;
      this.events.publish({ type: 'disconnected', reason: `${event.code} ${event.reason}`.trim() });
    } else if (event.type === 'association-up' && this.lostSinceUp) {
      // Back on the same association: register again, and the node says which tasks are still ours.
      this.lostSinceUp = false;
      this.core.register();
    } else if (event.type === 'association-down') this.rejoin(event.why);
  }

  /** The node declared this incarnation down: it will never take it back, so a new one registers. */
  private rejoin(why: string): void {
    if (this.closing || this.rejoinTimer !== undefined) return;
    this.events.publish({ type: 'rejoining', reason: why });
    const old = this.session;
    this.session = undefined;
    this.core.detach();
    void old?.stop();
    const delay = Math.min(REJOIN_MAX_MS, REJOIN_MIN_MS * 2 ** Math.min(10, this.rejoins++));
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      if (this.closing) return;
      this.lostSinceUp = false;
      this.startSession().then(
        (session) => {
          if (this.closing) void session.stop();
          else this.session = session;
        },
        (error: unknown) => this.events.publish({ type: 'warning', message: `could not start a new session: ${String(error)}` }),
      );
    }, delay);
  }

  /** A new session; events of the sessions before it (still stopping) are not this one's. */
  private startSession(): Promise<AgentSession> {
    const generation = ++this.generation;
    return AgentSession.start(this.sessionOptions(), this.core, (event) => {
      if (generation === this.generation) this.transportEvent(event);
    });
  }

  private sessionOptions(): Parameters<typeof AgentSession.start>[0] {
    return {
      agentId: this.id,
      token: this.options.token,
      node: this.node,
      codecs: this.options.codecs ?? [],
      ...(this.options.limits === undefined ? {} : { limits: this.options.limits }),
      ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
    };
  }
}

/**
 * Connects an agent to its node and resolves once the node has accepted its registration.
 * Rejects with AgentConfigError (bad options or token), NodeDiscoveryError (no node at `url`),
 * AgentRefusedError (the node refused the registration: its code says why) or AgentConnectError
 * (no answer within registerTimeoutMs: the node unreachable, or the token refused at the handshake).
 */
export async function connectAgent(options: ConnectAgentOptions): Promise<Agent> {
  const id = checkOptions(options);
  const node = await nodeOf(options);
  const agent = new Agent(id, node, options);
  const timeoutMs = options.registerTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const outcome = new Promise<Error | undefined>((resolve) => {
    timer = setTimeout(() => {
      const hint = `is the node up, and is the token signed by it, unexpired, with role agent and subject ${id}?`;
      resolve(new AgentConnectError(`${node.address} at ${node.url} did not accept agent ${id} within ${timeoutMs} ms: ${hint}`));
    }, timeoutMs);
    unsubscribe = agent.events.subscribe((event) => {
      if (event.type === 'registered') resolve(undefined);
      else if (event.type === 'refused' && event.error.taskId === undefined) resolve(event.error);
    });
  });
  let error: Error | undefined;
  try {
    await agent.start();
    error = await outcome;
  } catch (thrown) {
    error = thrown instanceof Error ? thrown : new AgentConnectError(String(thrown));
  } finally {
    clearTimeout(timer);
    unsubscribe?.();
  }
  if (error !== undefined) {
    await agent.close();
    throw error;
  }
  return agent;
}

function checkOptions(options: ConnectAgentOptions): string {
  const claims = readTokenClaims(options.token);
  const id = options.id ?? claims.sub;
  if (id !== claims.sub)
    throw new AgentConfigError(`the agent id ${id} is not the token's subject ${claims.sub}: the node would refuse it`);
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id) || parsePath(`vf://${id}/`) === undefined) {
    throw new AgentConfigError(`"${id}" is not a valid agent id: 1-128 of A-Z a-z 0-9 _ . : -`);
  }
  if (claims.role !== 'agent' && claims.role !== 'admin')
    throw new AgentConfigError(`a token with role ${claims.role} may not act as an agent`);
  if (claims.exp * 1000 <= Date.now()) throw new AgentConfigError(`the token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  const max = options.maxConcurrent ?? 1;
  if (!Number.isInteger(max) || max < 1 || max > AGENT_LIMITS.maxConcurrent) {
    throw new AgentConfigError(`maxConcurrent must be an integer from 1 to ${AGENT_LIMITS.maxConcurrent}`);
  }
  if (options.capabilities.length === 0) throw new AgentConfigError('an agent needs at least one capability');
  return id;
}

async function nodeOf(options: ConnectAgentOptions): Promise<NodeEndpoint> {
  if (options.node !== undefined) {
    const url = options.node.url ?? (options.url === undefined ? undefined : remoteUrlOf(options.url));
    if (url === undefined) throw new AgentConfigError('give node.url or url: where to dial the node');
    return { address: options.node.address, url };
  }
  if (options.url === undefined) throw new AgentConfigError('give url (the node’s base URL) or node {address, url}');
  return discoverNode(options.url);
}
