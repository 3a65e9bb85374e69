// How the gateway admits a WebSocket. /remote goes to the remote transport as it is: agents and
// other systems authenticate in its own handshake (gateway-remote.ts). Any other upgrade is checked
// before it completes (only /ws, under the session limit, with a valid token when one is given on
// the URL (?token=) or as a bearer header, 401 otherwise; URL parameters that moved into the
// protocol are refused with 400), and each admitted socket gets a client-session actor of its own,
// supervised by the gateway.
// This runs in the HTTP server's 'upgrade' event, not in a message handler: the session must exist
// before the socket's first message can arrive, so it is spawned right here, synchronously.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Ref } from '../runtime/ref.ts';
import { describeTokenFailure } from '../auth/token.ts';
import { Connection, type ConnectionEvent } from '../gateway/connection.ts';
import { requestToken } from '../gateway/http-auth.ts';
import { REMOTE_ROUTE, type RemoteUpgrades } from './gateway-remote.ts';
import { sessionActor, SESSION_SCHEDULING } from './session.ts';
import type { GatewayState } from './gateway-state.ts';

/** URL parameters of the first gateway, now fields of Handshake (session_id) and Subscribe (filter). */
const MOVED_PARAMS: ReadonlyMap<string, string> = new Map([
  ['resume', 'Handshake.session_id'],
  ['kinds', 'Subscribe.filter'],
  ['maxNodes', 'Subscribe.filter'],
  ['region', 'Subscribe.filter'],
]);

function refuse(socket: Duplex, status: number, text: string, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function upgrade(s: GatewayState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === REMOTE_ROUTE && s.options.remote !== undefined) return handOver(s, s.options.remote, req, socket, head);
  if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found', 'WebSocket endpoint is /ws');
  if (!makeRoom(s)) return refuse(socket, 503, 'Service Unavailable', 'too many sessions');
  const token = requestToken(req, url);
  if (token !== undefined) {
    const check = s.options.tokens.verify(token);
    if (!check.ok) return refuse(socket, 401, 'Unauthorized', describeTokenFailure(check.reason));
  }
  for (const [param, field] of MOVED_PARAMS) {
    if (url.searchParams.has(param)) return refuse(socket, 400, 'Bad Request', `?${param}= is not accepted: send it in ${field}`);
  }
  s.wss!.handleUpgrade(req, socket, head, (ws) => {
    const info = {
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      ...(token !== undefined ? { upgradeToken: token } : {}),
    };
    // Everything from here is synchronous, so no message can arrive before its session exists.
    const placeholder: Ref<ConnectionEvent> = { path: '/pending', tell: () => undefined };
    const conn = new Connection(ws, info, s.limits, s.ctx.system.clock, placeholder);
    s.sockets.add(conn);
    ws.once('close', () => s.sockets.delete(conn));
    startSession(s, conn);
  });
}

function handOver(s: GatewayState, remote: RemoteUpgrades, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  s.remoteSockets.add(socket);
  socket.once('close', () => s.remoteSockets.delete(socket));
  remote.handleUpgrade(req, socket, head);
}

/**
 * Sessions waiting for a resume count too; the one that has waited longest gives way to a live
 * client (it ends as if its resume window were over), so a client that connects and drops in a loop
 * cannot pile up held sessions and their replay rings. False: no room even so.
 */
function makeRoom(s: GatewayState): boolean {
  while (s.sockets.size + s.registry.detachedCount >= s.limits.maxSessions) {
    const oldest = s.registry.takeOldestDetached();
    if (oldest === undefined) return false;
    oldest.tell({ type: 'timer', name: 'resume-window' });
  }
  return true;
}

function startSession(s: GatewayState, conn: Connection): void {
  try {
    conn.target = s.ctx.spawn(sessionActor(s.sessionDeps, conn), {
      name: `s-${++s.sessionCounter}`,
      restart: 'temporary',
      mailbox: { capacity: s.limits.messageBurst + 1024, overflow: 'reject' },
      ...SESSION_SCHEDULING,
    });
  } catch {
    conn.terminate(1001, 'server shutting down');
  }
}
