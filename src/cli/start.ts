// `npm start`: one VisionFlow node with embedded defaults. Opens the store (PGlite in ./data, or
// PostgreSQL when DATABASE_URL is set), boots the supervision tree, serves the gateway (WebSocket
// sessions, HTTP API, viewer) and prints the URL, with a fresh admin token, to open.
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { GatewayMsg } from '../actors/gateway.ts';
import { settingsChildren } from '../actors/settings.ts';
import { signingKey } from '../auth/secret.ts';
import { TokenAuthority } from '../auth/token.ts';
import { adminUrl, GATEWAY_PATH, gatewayChildren } from '../gateway/children.ts';
import { graphSubsystemParts } from '../graph/subsystem.ts';
import { bindRuntimeMetrics } from '../runtime/metrics.ts';
import { ActorSystem } from '../runtime/system.ts';
import { SqlDeltaLog } from '../settings/sql-delta-log.ts';
import { openStore } from '../storage/open-store.ts';
import { startApp } from '../supervisors/app-tree.ts';
import { exitOnTermination } from './exit-on-termination.ts';
import { logRuntimeEvents } from './log-events.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const tokens = new TokenAuthority(signingKey());

const store = await openStore(process.env);
log.info({ store: store.description }, 'store open');

const system = new ActorSystem({ name: process.env.VF_NODE ?? 'node-1' });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
bindRuntimeMetrics(system, registry);
logRuntimeEvents(system, log);
exitOnTermination(system, {
  onSignal: (signal) => log.info({ signal }, 'shutting down'),
  afterStop: () => store.close(),
});

const graph = graphSubsystemParts({ store, shards: Number(process.env.VF_SHARDS ?? 4) });
startApp(system, {
  failureSink: store.failures,
  children: {
    settings: settingsChildren({ log: new SqlDeltaLog(store.settings) }),
    graph: graph.children,
    gateway: gatewayChildren({ host, port, tokens, registry }),
  },
});

try {
  const gateway = system.lookup<GatewayMsg>(GATEWAY_PATH);
  if (gateway === undefined) throw new Error('the gateway did not start');
  const address = await system.ask<GatewayMsg, { host: string; port: number }>(gateway, (replyTo) => ({ type: 'address', replyTo }), 10_000);
  log.info({ actors: system.tree('/').length }, 'supervision tree started');
  const { url } = adminUrl(tokens, { host, port: address.port });
  console.log(`\n  VisionFlow node "${system.name}" is up.\n  Open ${url}\n`);
} catch (error) {
  log.error({ err: String(error) }, `could not start the gateway on ${host}:${port}`);
  process.exitCode = 1;
  await system.terminate();
}
