// A small graph behind the routes of the node's HTTP graph API that the bundled agents read
// (node, nodes by id, the node list, edges), with the same answer shapes, on 127.0.0.1 for one test.
// Lists are paged two at a time, so that paging is exercised.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionContext } from 'ava';

export interface TestNode {
  readonly id: number;
  readonly title: string;
  readonly type: string;
  readonly content?: string;
  readonly metadata?: Record<string, string>;
}

export interface TestEdge {
  readonly source: number;
  readonly target: number;
}

export interface GraphServerExtras {
  /** Answers a request the graph routes do not (true: answered). */
  readonly route?: (req: IncomingMessage, res: ServerResponse, body: string) => boolean;
  /** Takes WebSocket upgrades. */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** `token`: the one bearer token accepted, or a check of any. */
export async function startGraphServer(
  t: ExecutionContext,
  nodes: readonly TestNode[],
  edges: readonly TestEdge[],
  token: string | ((bearer: string) => boolean),
  extras: GraphServerExtras = {},
): Promise<{ url: string; requests: string[] }> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const requests: string[] = [];
  const authorised = (header: string | undefined): boolean =>
    header?.startsWith('Bearer ') === true && (typeof token === 'string' ? header.slice(7) === token : token(header.slice(7)));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => void (body = (body + d.toString()).slice(0, 65_536)));
    req.on('end', () => answer(req, res, body));
  });
  if (extras.upgrade !== undefined) server.on('upgrade', extras.upgrade);
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const send = (status: number, answerBody: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answerBody));
    if (extras.route?.(req, res, body) === true) return;
    if (!authorised(req.headers.authorization)) return send(401, { error: 'unauthorized' });
    const view = (n: TestNode, content: number): Record<string, unknown> => {
      const { content: text, ...rest } = n;
      return content > 0 && text !== undefined ? { ...rest, content: text.slice(0, content) } : rest;
    };
    const node = /^\/api\/graph\/node\/(\d+)$/.exec(url.pathname);
    if (node !== null) {
      const n = byId.get(Number(node[1]));
      return n === undefined
        ? send(404, { error: 'no node' })
        : send(200, { ...view(n, Number(url.searchParams.get('content') ?? 16384)), version: 1 });
    }
    if (url.pathname === '/api/graph/nodes' && !url.searchParams.has('ids')) {
      // As the node's list: the page is cut first, then filtered by type, so `next` counts every node.
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(2, Number(url.searchParams.get('limit') ?? 1000));
      const type = url.searchParams.get('type');
      const page = nodes.slice(offset, offset + limit).filter((n) => type === null || n.type === type);
      const next = offset + limit < nodes.length ? { next: offset + limit } : {};
      return send(200, { total: nodes.length, offset, nodes: page.map((n) => view(n, 0)), ...next, version: 1 });
    }
    if (url.pathname === '/api/graph/nodes') {
      const ids = (url.searchParams.get('ids') ?? '')
        .split(',')
        .filter((s) => s !== '')
        .map(Number);
      if (ids.length > 1000) return send(400, { error: 'too many ids' });
      const content = Number(url.searchParams.get('content') ?? 0);
      return send(200, { nodes: ids.flatMap((id) => (byId.has(id) ? [view(byId.get(id)!, content)] : [])), version: 1 });
    }
    if (url.pathname === '/api/graph/edges') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(2, Number(url.searchParams.get('limit') ?? 10_000));
      const page = edges.slice(offset, offset + limit).map((e, i) => ({ id: String(offset + i), ...e, directed: true }));
      const next = offset + limit < edges.length ? { next: offset + limit } : {};
      return send(200, { total: edges.length, offset, edges: page, ...next, version: 1 });
    }
    send(404, { error: 'not found' });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => void server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}
