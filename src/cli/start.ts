// `npm start`: one VisionFlow node with embedded defaults. Boots the supervision tree, serves the
// node's HTTP face and prints the URL (with a fresh access token) to open.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { httpStatus, type HttpStatusMsg } from '../actors/http-status.ts';
import { InMemoryFailureSink } from '../actors/permanent-failure-sink.ts';
import { bindRuntimeMetrics } from '../runtime/metrics.ts';
import { ActorSystem } from '../runtime/system.ts';
import { startApp } from '../supervisors/app-tree.ts';
import { childSpec } from '../supervisors/child-spec.ts';
import { exitOnTermination } from './exit-on-termination.ts';
import { logRuntimeEvents } from './log-events.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const token = process.env.VF_TOKEN ?? randomBytes(24).toString('base64url');

const system = new ActorSystem({ name: process.env.VF_NODE ?? 'node-1' });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
bindRuntimeMetrics(system, registry);
logRuntimeEvents(system, log);
exitOnTermination(system, (signal) => log.info({ signal }, 'shutting down'));

startApp(system, {
  failureSink: new InMemoryFailureSink(),
  children: { gateway: [childSpec(httpStatus({ host, port, token, registry }), { name: 'http' })] },
});

try {
  const http = system.lookup<HttpStatusMsg>('/app/gateway/http');
  if (http === undefined) throw new Error('the gateway did not start');
  const address = await system.ask<HttpStatusMsg, { host: string; port: number }>(http, (replyTo) => ({ type: 'address', replyTo }), 10_000);
  const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
  log.info({ actors: system.tree('/').length }, 'supervision tree started');
  console.log(`\n  VisionFlow node "${system.name}" is up.\n  Open http://${shownHost}:${address.port}/?token=${token}\n`);
} catch (error) {
  log.error({ err: String(error) }, `could not start the HTTP gateway on ${host}:${port}`);
  await system.terminate();
  process.exit(1);
}
