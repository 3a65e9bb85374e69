// Remote actors on the gateway's port: agents dial ws://HOST:PORT/remote, and the gateway hands
// those upgrades to the node's remote transport (src/runtime/remote/remote-transport.ts, started
// with listen.server 'external'), so a node needs no second port for its agents. A plain GET
// /remote answers 426 with the node's address and protocol versions: an SDK given only a URL
// learns there which address to name in its RemoteHello.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_REMOTE_VERSION, MIN_REMOTE_VERSION } from '../protocol/remote/handshake-frames.ts';

export const REMOTE_ROUTE = '/remote';

/** Whoever takes the gateway's /remote upgrades: the node's RemoteTransport. */
export interface RemoteUpgrades {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** The answer to a plain (not upgrading) request for /remote. */
export function answerRemoteInfo(res: ServerResponse, address: string): void {
  const body = JSON.stringify({ address, versions: [MIN_REMOTE_VERSION, MAX_REMOTE_VERSION] });
  res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Whether a request is for /remote (its query, if any, aside). */
export function isRemoteRoute(req: IncomingMessage): boolean {
  const url = req.url ?? '/';
  const end = url.indexOf('?');
  return (end < 0 ? url : url.slice(0, end)) === REMOTE_ROUTE;
}
