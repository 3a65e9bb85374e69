// How long the node's HTTP server waits for a client, and how many connections it holds: Node's
// defaults hold a socket that trickles its headers for as long as it likes, and take any number
// of connections. Configurable through the environment (README, "Configuration").
//
//   headers timeout   the whole request head must arrive within it (slow-header clients are cut off)
//   request timeout   the whole request, body included
//   idle timeout      a kept-alive connection with no request in flight is closed after it
//   max connections   in total (WebSocket sessions included), and per client address; a connection
//                     past either cap is closed at once, before anything is read from it
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxConnections: 12_000,
  maxConnectionsPerAddress: 1_000,
};

export interface HttpEnv {
  readonly VF_HTTP_HEADERS_TIMEOUT_MS?: string;
  readonly VF_HTTP_REQUEST_TIMEOUT_MS?: string;
  readonly VF_HTTP_IDLE_TIMEOUT_MS?: string;
  readonly VF_HTTP_MAX_CONNECTIONS?: string;
  readonly VF_HTTP_MAX_CONNECTIONS_PER_ADDRESS?: string;
}

/** The limits the environment sets, the defaults for the rest; a value that is not a positive integer is an error. */
export function httpLimitsFromEnv(env: HttpEnv): HttpLimits {
  const read = (name: keyof HttpEnv, value: string | undefined, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
  const d = DEFAULT_HTTP_LIMITS;
  return {
    headersTimeoutMs: read('VF_HTTP_HEADERS_TIMEOUT_MS', env.VF_HTTP_HEADERS_TIMEOUT_MS, d.headersTimeoutMs),
    requestTimeoutMs: read('VF_HTTP_REQUEST_TIMEOUT_MS', env.VF_HTTP_REQUEST_TIMEOUT_MS, d.requestTimeoutMs),
    idleTimeoutMs: read('VF_HTTP_IDLE_TIMEOUT_MS', env.VF_HTTP_IDLE_TIMEOUT_MS, d.idleTimeoutMs),
    maxConnections: read('VF_HTTP_MAX_CONNECTIONS', env.VF_HTTP_MAX_CONNECTIONS, d.maxConnections),
    maxConnectionsPerAddress: read(
      'VF_HTTP_MAX_CONNECTIONS_PER_ADDRESS',
      env.VF_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
      d.maxConnectionsPerAddress,
    ),
  };
}

/** Options for http.createServer: the timeouts, checked often enough to hold to the second. */
export function serverOptions(limits: HttpLimits): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
}

/** Counts of what the caps turned away, for metrics and tests. */
export interface ShedCounts {
  total: number;
  perAddress: number;
}

/** The idle timeout and both connection caps, on a server made with `serverOptions`. */
export function limitConnections(server: Server, limits: HttpLimits): ShedCounts {
  const shed: ShedCounts = { total: 0, perAddress: 0 };
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => shed.total++);
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const held = perAddress.get(address) ?? 0;
    if (held >= limits.maxConnectionsPerAddress) {
      shed.perAddress++;
      socket.destroy();
      return;
    }
    perAddress.set(address, held + 1);
    socket.once('close', () => {
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
  });
  return shed;
}
