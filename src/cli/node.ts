// One VisionFlow node: the store, the actor system, the application tree (src/supervisors/app-tree.ts)
// and the gateway listening. `npm start` runs it; the end-to-end tests boot the same.
//
// Agents reach the node on the gateway's port: its /remote upgrades go to the node's remote
// transport, which takes agents (a token whose role may act as an agent, its subject the agent's
// address) and lets them address only the swarms registry and what lies below it.
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { SWARMS_PATH } from '../agent-protocol/messages.ts';
import { agentCodecRegistry } from '../agent-protocol/codecs.ts';
import type { GatewayMsg } from '../actors/gateway.ts';
import type { SwarmLimits, SwarmLog } from '../actors/swarm-options.ts';
import type { TokenAuthority } from '../auth/token.ts';
import type { HttpLimits } from '../gateway/http-limits.ts';
import { bindRuntimeMetrics } from '../runtime/metrics.ts';
import { bindRemoteMetrics } from '../runtime/remote/remote-metrics.ts';
import type { RemoteLimits } from '../runtime/remote/remote-limits.ts';
import { RemoteTransport } from '../runtime/remote/remote-transport.ts';
import { ActorSystem } from '../runtime/system.ts';
import type { Store } from '../storage/open-store.ts';
import { GATEWAY_PATH, startNodeTree, type PhysicsSubsystemOptions } from '../supervisors/app-tree.ts';
import { logRuntimeEvents } from './log-events.ts';

export interface NodeOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly store: Store;
  readonly tokens: TokenAuthority;
  readonly shards?: number;
  readonly physics?: Omit<PhysicsSubsystemOptions, 'topology'>;
  readonly log?: Logger;
  /** Node's default process metrics (off in tests: they are process-global). */
  readonly processMetrics?: boolean;
  /** The HTTP server's timeouts and connection caps (defaults: http-limits.ts). */
  readonly http?: Partial<HttpLimits>;
  /** The limits of the remote transport agents connect through (defaults: remote-limits.ts; VF_REMOTE_*). */
  readonly remote?: Partial<RemoteLimits>;
  /** The agent swarms' limits (defaults: swarm-options.ts). */
  readonly swarms?: Partial<SwarmLimits>;
}

export interface RunningNode {
  readonly system: ActorSystem;
  readonly registry: Registry;
  /** Where the gateway listens (the port picked when 0 was asked). */
  readonly address: { readonly host: string; readonly port: number };
  /** The graph router's path: where graph commands (an import, say) go. */
  readonly graphRouterPath: string;
  /** Where agents connect (the gateway's /remote). */
  readonly remote: RemoteTransport;
}

export async function bootNode(o: NodeOptions): Promise<RunningNode> {
  const system = new ActorSystem({ name: o.name });
  const registry = new Registry();
  if (o.processMetrics === true) collectDefaultMetrics({ register: registry });
  bindRuntimeMetrics(system, registry);
  if (o.log !== undefined) logRuntimeEvents(system, o.log);
  // A gateway that fails while the node boots (most often: the port is taken) fails the boot with
  // its own error at once, rather than through restarts and then a timeout with no reason given.
  let gatewayFailed: ((error: unknown) => void) | undefined;
  const bootFailure = new Promise<never>((_, reject) => (gatewayFailed = reject));
  bootFailure.catch(() => undefined);
  const stopWatching = system.events.subscribe((event) => {
    if (event.type === 'actor-failed' && event.path === GATEWAY_PATH) gatewayFailed?.(event.error);
  });
  const remote = await startRemote(system, o).catch(async (error: unknown) => {
    await system.terminate();
    throw error;
  });
  bindRemoteMetrics(remote, registry);
  const tree = startNodeTree(system, {
    store: o.store,
    shards: o.shards ?? 4,
    ...(o.physics === undefined ? {} : { physics: o.physics }),
    gateway: { host: o.host, port: o.port, tokens: o.tokens, registry, remote, ...(o.http === undefined ? {} : { http: o.http }) },
    swarms: { ...(o.swarms === undefined ? {} : { limits: o.swarms }), ...(o.log === undefined ? {} : { log: swarmLog(o.log) }) },
  });
  try {
    const gateway = system.lookup<GatewayMsg>(GATEWAY_PATH);
    if (gateway === undefined) throw new Error('the gateway did not start');
    const address = await Promise.race([
      system.ask<GatewayMsg, { host: string; port: number }>(gateway, (replyTo) => ({ type: 'address', replyTo }), 15_000),
      bootFailure,
    ]);
    return { system, registry, address, graphRouterPath: tree.graphRouterPath, remote };
  } catch (error) {
    await system.terminate();
    throw error;
  } finally {
    stopWatching();
  }
}

function swarmLog(log: Logger): SwarmLog {
  return (level, fields, message) => log[level](fields, message);
}

/** Agents only: a node takes no other nodes until the cluster is configured. */
function startRemote(system: ActorSystem, o: NodeOptions): Promise<RemoteTransport> {
  return RemoteTransport.start(system, {
    listen: { server: 'external' },
    codecs: agentCodecRegistry(),
    tokens: o.tokens,
    clientRecipients: [SWARMS_PATH],
    ...(o.remote === undefined ? {} : { limits: o.remote }),
  });
}
