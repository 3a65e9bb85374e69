// `npm start`: one VisionFlow node with embedded defaults. Boots the supervision tree, serves the
// gateway (WebSocket sessions, HTTP API, viewer) and prints the URL, with a fresh admin token, to open.
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { GatewayMsg } from '../actors/gateway.ts';
import { InMemoryFailureSink } from '../actors/permanent-failure-sink.ts';
import { settingsChildren } from '../actors/settings.ts';
import { signingKey } from '../auth/secret.ts';
import { TokenAuthority } from '../auth/token.ts';
import { adminUrl, GATEWAY_PATH, gatewayChildren } from '../gateway/children.ts';
import { bindRuntimeMetrics } from '../runtime/metrics.ts';
import { ActorSystem } from '../runtime/system.ts';
import { InMemoryDeltaLog } from '../settings/delta-log.ts';
import { startApp } from '../supervisors/app-tree.ts';
import { exitOnTermination } from './exit-on-termination.ts';
import { logRuntimeEvents } from './log-events.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const tokens = new TokenAuthority(signingKey());

const system = new ActorSystem({ name: process.env.VF_NODE ?? 'node-1' });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
bindRuntimeMetrics(system, registry);
logRuntimeEvents(system, log);
exitOnTermination(system, (signal) => log.info({ signal }, 'shutting down'));

startApp(system, {
  failureSink: new InMemoryFailureSink(),
  children: {
    settings: settingsChildren({ log: new InMemoryDeltaLog() }),
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
  await system.terminate();
  process.exit(1);
}
