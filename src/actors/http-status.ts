// The node's HTTP face until the gateway (WebSocket sessions, viewer) takes over: probes,
// Prometheus metrics, and a live view of the supervision tree and its recent events, so a user
// injecting faults can watch the tree react. Everything but /healthz needs the access token.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ActorFactory } from '../runtime/actor.ts';
import type { RuntimeEvent } from '../runtime/events.ts';
import type { Ref } from '../runtime/ref.ts';
import { describeError } from '../runtime/errors.ts';
import { statusPage } from './status-page.ts';

export interface HttpStatusOptions {
  readonly host: string;
  /** 0 picks a free port; ask for the bound one with an `address` message. */
  readonly port: number;
  readonly token: string;
  readonly registry: Registry;
  /** Supervision events kept for /api/events. */
  readonly recentEvents?: number;
}

export type HttpStatusMsg = { readonly type: 'address'; readonly replyTo: Ref<{ readonly host: string; readonly port: number }> };

interface EventRecord {
  readonly type: string;
  readonly path: string;
  readonly detail: string;
  readonly time: number;
}

export function httpStatus(options: HttpStatusOptions): ActorFactory<HttpStatusMsg> {
  return (ctx) => {
    let server: Server | undefined;
    let unsubscribe: (() => void) | undefined;
    const events: EventRecord[] = [];
    const keep = options.recentEvents ?? 200;
    const expected = Buffer.from(options.token, 'utf8');

    const authorised = (req: IncomingMessage, url: URL): boolean => {
      const header = req.headers.authorization;
      const given = header?.startsWith('Bearer ') === true ? header.slice(7) : (url.searchParams.get('token') ?? '');
      const buf = Buffer.from(given, 'utf8');
      return buf.length === expected.length && timingSafeEqual(buf, expected);
    };

    const send = (res: ServerResponse, status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
      if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
      if (url.pathname === '/readyz') {
        const ready = ctx.system.lookup('/app') !== undefined;
        return send(res, ready ? 200 : 503, 'text/plain', ready ? 'ready\n' : 'starting\n');
      }
      if (!authorised(req, url)) return send(res, 401, 'text/plain', 'missing or wrong access token\n');
      switch (url.pathname) {
        case '/':
          return send(res, 200, 'text/html; charset=utf-8', statusPage);
        case '/metrics':
          return send(res, 200, options.registry.contentType, await options.registry.metrics());
        case '/api/tree':
          return send(res, 200, 'application/json', JSON.stringify({ node: ctx.system.name, actors: ctx.system.tree('/') }));
        case '/api/events':
          return send(res, 200, 'application/json', JSON.stringify(events));
        default:
          return send(res, 404, 'text/plain', 'not found\n');
      }
    };

    const remember = (event: RuntimeEvent): void => {
      const record = summarise(event);
      if (record === undefined) return;
      if (events.length >= keep) events.shift();
      events.push(record);
    };

    return {
      async preStart() {
        unsubscribe = ctx.system.events.subscribe(remember);
        const s = createServer((req, res) => {
          handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain', `${describeError(error)}\n`));
        });
        server = s;
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(options.port, options.host, () => {
            s.off('error', reject);
            resolve();
          });
        });
      },
      async postStop() {
        unsubscribe?.();
        const s = server;
        if (s === undefined) return;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      },
      preRestart() {
        unsubscribe?.();
        server?.closeAllConnections();
        server?.close();
      },
      receive(msg) {
        const address = server?.address() as AddressInfo | null;
        msg.replyTo.tell({ host: options.host, port: address?.port ?? -1 });
      },
    };
  };
}

function summarise(event: RuntimeEvent): EventRecord | undefined {
  switch (event.type) {
    case 'actor-failed':
      return { type: event.type, path: event.path, detail: describeError(event.error), time: event.time };
    case 'supervisor-decision':
      return { type: event.type, path: event.child, detail: `${event.directive} ${event.affected.join(', ')}`, time: event.time };
    case 'restart-scheduled':
      return { type: event.type, path: event.path, detail: `attempt ${event.attempt} in ${Math.round(event.delayMs)} ms`, time: event.time };
    case 'actor-restarted':
      return { type: event.type, path: event.path, detail: `attempt ${event.attempt}`, time: event.time };
    case 'actor-stopped':
      return { type: event.type, path: event.path, detail: event.reason, time: event.time };
    case 'restart-intensity-exceeded':
      return { type: event.type, path: event.supervisor, detail: '', time: event.time };
    case 'fault-injected':
      return { type: event.type, path: event.path, detail: event.fault, time: event.time };
    case 'mailbox-overflow':
      return { type: event.type, path: event.path, detail: `${event.policy} at ${event.capacity}`, time: event.time };
    default:
      return undefined;
  }
}
