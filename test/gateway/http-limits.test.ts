// The HTTP server's limits, on a real socket: a client that trickles its request head is cut off
// after the headers timeout, an idle kept-alive connection after the idle timeout, and
// connections past the cap for one address (or in total) are closed at once; the node keeps
// answering other clients throughout. The limits come from the environment, checked.
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import test from 'ava';
import { httpLimitsFromEnv, DEFAULT_HTTP_LIMITS } from '../../src/gateway/http-limits.ts';
import { startGateway } from './support.ts';

const LIMITS = { headersTimeoutMs: 600, requestTimeoutMs: 1_200, idleTimeoutMs: 400, maxConnections: 60, maxConnectionsPerAddress: 20 };

/** How a slow client's socket ended: after how long, and what the server said first (nothing: shed). */
interface Ending {
  readonly afterMs: number;
  readonly said: string;
}

/** A socket from `localAddress` that sends half a request head and then nothing. */
function slowHeaders(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<Ending> }> {
  return new Promise((resolve, reject) => {
    const opened = performance.now();
    let said = '';
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      resolve({ socket, closed });
    });
    const closed = new Promise<Ending>((r) =>
      socket.once('close', () => r({ afterMs: performance.now() - opened, said: said.split('\r\n')[0] ?? '' })),
    );
    // Reads what the server sends (its 408), so that its end is seen.
    socket.on('data', (d: Buffer) => (said += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** GET `path` from `localAddress` (another loopback address is another client). */
function get(port: number, path: string, localAddress = '127.0.0.2', agent?: Agent): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, ...(agent === undefined ? {} : { agent }) }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket! }));
    });
    req.once('error', reject);
    req.end();
  });
}

test('slow-header clients are cut off after the headers timeout; past the per-address cap they are closed at once; other clients are served', async (t) => {
  const h = await startGateway(t, { http: LIMITS });
  const sockets = await Promise.all(Array.from({ length: 30 }, () => slowHeaders(h.port).catch(() => undefined)));
  t.teardown(() => sockets.forEach((s) => s?.socket.destroy()));
  const held = sockets.filter((s) => s !== undefined);
  const endings = await Promise.all(
    held.map((s) =>
      Promise.race([s.closed, new Promise<Ending>((r) => setTimeout(() => r({ afterMs: Infinity, said: 'still open' }), 8_000))]),
    ),
  );
  const shed = endings.filter((e) => e.said === '').length;
  const timedOut = endings.filter((e) => e.said === 'HTTP/1.1 408 Request Timeout').length;
  t.is(shed + (30 - held.length), 10, 'the 10 past the cap of 20 per address are closed at once, before anything is read from them');
  t.is(
    timedOut,
    20,
    `the 20 held are cut off with 408 after the headers timeout (${endings.map((e) => `${Math.round(e.afterMs)} ms ${e.said}`).join('; ')})`,
  );
  t.is((await get(h.port, '/healthz')).status, 200, 'another client is served meanwhile');
});

test('an idle kept-alive connection is closed after the idle timeout', async (t) => {
  const h = await startGateway(t, { http: LIMITS });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const { status, socket } = await get(h.port, '/healthz', '127.0.0.2', agent);
  t.is(status, 200);
  const closed = await new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 3_000);
  });
  t.true(closed, 'the server closed the idle connection');
});

test('the limits come from the environment; a value that is not a positive integer is refused', (t) => {
  t.deepEqual(httpLimitsFromEnv({}), DEFAULT_HTTP_LIMITS);
  t.like(httpLimitsFromEnv({ VF_HTTP_HEADERS_TIMEOUT_MS: '5000', VF_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '64' }), {
    headersTimeoutMs: 5_000,
    maxConnectionsPerAddress: 64,
  });
  t.throws(() => httpLimitsFromEnv({ VF_HTTP_IDLE_TIMEOUT_MS: '-1' }), { message: /VF_HTTP_IDLE_TIMEOUT_MS must be a positive integer/ });
  t.throws(() => httpLimitsFromEnv({ VF_HTTP_MAX_CONNECTIONS: 'lots' }), { instanceOf: RangeError });
});
