// Where an agent dials its node. Remote actors are accepted at /remote on the node's HTTP port;
// a plain GET there answers 426 with {"address": "node-1", "versions": [1, 1]}, which is how an
// agent learns the address (the system name) it must greet the node by.
import { NodeDiscoveryError } from './errors.ts';

export interface NodeEndpoint {
  /** The node's system address ("node-1"). */
  readonly address: string;
  /** ws:// or wss:// URL of its remote-actor endpoint. */
  readonly url: string;
}

const ADDRESS = /^[A-Za-z0-9_.:-]{1,128}$/;

/** ws(s)://HOST:PORT/remote for a node's HTTP or WebSocket base URL (its path and query are ignored). */
export function remoteUrlOf(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new NodeDiscoveryError(`"${base}" is not a URL: give the node's base, e.g. http://127.0.0.1:8080`);
  }
  const scheme = { 'http:': 'ws:', 'ws:': 'ws:', 'https:': 'wss:', 'wss:': 'wss:' }[url.protocol];
  if (scheme === undefined) throw new NodeDiscoveryError(`${url.protocol} is not http(s) or ws(s): ${base}`);
  return `${scheme}//${url.host}/remote`;
}

/** Asks the node at `base` for its address; NodeDiscoveryError saying what went wrong otherwise. */
export async function discoverNode(base: string, timeoutMs = 5_000): Promise<NodeEndpoint> {
  const url = remoteUrlOf(base);
  const probe = url.replace(/^ws/, 'http');
  let response: Response;
  try {
    response = await fetch(probe, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new NodeDiscoveryError(`could not reach ${probe}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const hint = 'pass node: {address, url} to connectAgent to skip discovery';
  let body: unknown;
  try {
    body = JSON.parse((await response.text()).slice(0, 4096));
  } catch {
    throw new NodeDiscoveryError(
      `GET ${probe} answered ${response.status} without JSON: is this a VisionFlow node that accepts agents? (${hint})`,
    );
  }
  const address = (body as { address?: unknown } | null)?.address;
  if (typeof address !== 'string' || !ADDRESS.test(address)) {
    throw new NodeDiscoveryError(`GET ${probe} answered ${response.status} with no valid "address" (${hint})`);
  }
  return { address, url };
}
