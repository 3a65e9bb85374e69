// One incarnation of an agent: its own actor system (named by the agent id), a remote transport
// that dials the node with the agent's token and listens for nobody, and the agent's actor. When
// the node declares the agent down, this incarnation is quarantined there for good, and the agent
// carries on in a new session (connect-agent.ts).
import { agentCodecRegistry } from '../agent-protocol/codecs.ts';
import { SWARMS_PATH, type AgentOutbound } from '../agent-protocol/messages.ts';
import type { RemoteCodec } from '../runtime/remote/codec-registry.ts';
import type { DialTls } from '../runtime/remote/dial-handshake.ts';
import type { RemoteEvent } from '../runtime/remote/remote-events.ts';
import type { RemoteLimits } from '../runtime/remote/remote-limits.ts';
import { RemoteTransport } from '../runtime/remote/remote-transport.ts';
import { ActorSystem } from '../runtime/system.ts';
import type { AgentCore } from './agent-core.ts';
import { agentActor } from './agent-actor.ts';
import type { NodeEndpoint } from './node-address.ts';

export interface SessionOptions {
  readonly agentId: string;
  readonly token: string;
  readonly node: NodeEndpoint;
  readonly codecs: readonly RemoteCodec[];
  readonly limits?: Partial<RemoteLimits>;
  readonly tls?: DialTls;
}

export class AgentSession {
  private constructor(
    readonly system: ActorSystem,
    readonly transport: RemoteTransport,
  ) {}

  /** Starts the system and its transport; `onEvent` sees the transport's events about the node. */
  static async start(options: SessionOptions, core: AgentCore, onEvent: (event: RemoteEvent) => void): Promise<AgentSession> {
    const system = new ActorSystem({ name: options.agentId });
    const codecs = agentCodecRegistry().registerAll(options.codecs);
    let transport: RemoteTransport;
    try {
      transport = await RemoteTransport.start(system, {
        peers: { [options.node.address]: options.node.url },
        identity: { kind: 'agent', token: options.token },
        codecs,
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      });
    } catch (error) {
      await system.terminate();
      throw error;
    }
    transport.events.subscribe((event) => {
      if ('address' in event && event.address === options.node.address) onEvent(event);
    });
    const registry = system.resolve<AgentOutbound>(`vf://${options.node.address}${SWARMS_PATH}`)!;
    system.spawn(agentActor(core, registry), { name: 'agent', mailbox: { capacity: 10_000, overflow: 'reject' } });
    return new AgentSession(system, transport);
  }

  /** Sends what is queued for the node, closes the connection and stops the system. */
  async stop(): Promise<void> {
    await this.transport.stop();
    await this.system.terminate();
  }
}
