// A TCP relay on 127.0.0.1 between an agent and its node, so that a test can cut every connection
// through it at once (as a network or a node dropping the socket would) while new ones still pass.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface TcpProxy {
  /** ws://127.0.0.1:PORT for the target's ws:// URL. */
  readonly url: string;
  /** Destroys every connection through the relay now. */
  drop(): number;
  /** While blocked, new connections are closed as soon as they open (the node is unreachable). */
  block(blocked: boolean): void;
  readonly connections: () => number;
}

export async function startTcpProxy(t: ExecutionContext, targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t.teardown(async () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `ws://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`,
    drop() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    block: (value) => void (blocked = value),
    connections: () => pairs.size,
  };
}
