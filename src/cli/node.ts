// One VisionFlow node: the store, the actor system, the application tree (src/supervisors/app-tree.ts)
// and the gateway listening. `npm start` runs it; the end-to-end tests boot the same.
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { GatewayMsg } from '../actors/gateway.ts';
import type { TokenAuthority } from '../auth/token.ts';
import type { HttpLimits } from '../gateway/http-limits.ts';
import { bindRuntimeMetrics } from '../runtime/metrics.ts';
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
}

export interface RunningNode {
  readonly system: ActorSystem;
  readonly registry: Registry;
  /** Where the gateway listens (the port picked when 0 was asked). */
  readonly address: { readonly host: string; readonly port: number };
  /** The graph router's path: where graph commands (an import, say) go. */
  readonly graphRouterPath: string;
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
  const tree = startNodeTree(system, {
    store: o.store,
    shards: o.shards ?? 4,
    ...(o.physics === undefined ? {} : { physics: o.physics }),
    gateway: { host: o.host, port: o.port, tokens: o.tokens, registry, ...(o.http === undefined ? {} : { http: o.http }) },
  });
  try {
    const gateway = system.lookup<GatewayMsg>(GATEWAY_PATH);
    if (gateway === undefined) throw new Error('the gateway did not start');
    const address = await Promise.race([
      system.ask<GatewayMsg, { host: string; port: number }>(gateway, (replyTo) => ({ type: 'address', replyTo }), 15_000),
      bootFailure,
    ]);
    return { system, registry, address, graphRouterPath: tree.graphRouterPath };
  } catch (error) {
    await system.terminate();
    throw error;
  } finally {
    stopWatching();
  }
}
