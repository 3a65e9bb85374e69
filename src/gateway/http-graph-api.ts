// The gateway's read-only graph routes (GET /api/graph/...; the list is in http-api.ts). Every
// graph answer says the graph version it reflects (`version`, and the x-graph-version header, 404s
// included): read before the data, so the data holds at least every change up to it, and a client
// replays the change stream from there to line its copy up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenAuthority } from '../auth/token.ts';
import { boundedInt, HttpError, json, methods, need } from './http-exchange.ts';
import { clipContent, CONTENT_DEFAULT_CHARS, CONTENT_MAX_CHARS } from './node-content.ts';
import type { GraphPort } from './ports.ts';

const NODE_ID = /^(0|[1-9][0-9]{0,9})$/;
/** Most ids one GET /api/graph/nodes names (the graph's query bound). */
const MAX_NODES_ASKED = 1000;
/** Most content characters per node a GET /api/graph/nodes returns (1000 nodes: 4 MB at most). */
const MAX_BULK_CONTENT_CHARS = 4_000;

interface Versioned {
  readonly version: number;
  readonly headers: Record<string, string>;
}

async function atVersion(graph: GraphPort): Promise<Versioned> {
  const version = await graph.version();
  return { version, headers: { 'x-graph-version': String(version) } };
}

/** `parts`: the path after /api/graph/, split at '/'. */
export async function graphRoute(
  tokens: TokenAuthority,
  port: GraphPort | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  parts: string[],
): Promise<void> {
  methods(req, ['GET', 'HEAD']);
  need(tokens, req, url, 'read');
  const graph = (): GraphPort => {
    if (port === undefined) throw new HttpError(503, 'no graph on this node');
    return port;
  };
  if (parts.length === 1 && parts[0] === 'search') return search(graph, res, url);
  if (parts.length === 1 && parts[0] === 'nodes') return nodes(graph, res, url);
  if (parts.length === 1 && parts[0] === 'edges') return edges(graph, res, url);
  if (parts[0] !== 'node' || parts.length < 2 || parts.length > 3 || (parts.length === 3 && parts[2] !== 'neighbours')) {
    throw new HttpError(404, 'not found');
  }
  const raw = parts[1]!;
  if (!NODE_ID.test(raw) || Number(raw) > 0xffffffff) throw new HttpError(400, 'a node id is an unsigned 32-bit integer');
  const id = Number(raw);
  return parts.length === 2 ? node(graph, res, url, id) : neighbours(graph, res, url, id);
}

async function search(graph: () => GraphPort, res: ServerResponse, url: URL): Promise<void> {
  const q = url.searchParams.get('q') ?? '';
  if (q.length === 0 || q.length > 256) throw new HttpError(400, 'q must be 1 to 256 characters');
  const limit = boundedInt(url.searchParams.get('limit'), 20, 1, 200);
  const { version, headers } = await atVersion(graph());
  return json(res, 200, { query: q, nodes: await graph().search(q, limit), version }, headers);
}

async function nodes(graph: () => GraphPort, res: ServerResponse, url: URL): Promise<void> {
  if (!url.searchParams.has('ids')) return nodeList(graph, res, url);
  const raw = url.searchParams.get('ids') ?? '';
  const ids = raw === '' ? [] : raw.split(',');
  if (ids.length > MAX_NODES_ASKED || !ids.every((id) => NODE_ID.test(id) && Number(id) <= 0xffffffff)) {
    throw new HttpError(400, `ids: up to ${MAX_NODES_ASKED} node ids (unsigned 32-bit integers), comma-separated`);
  }
  const content = boundedInt(url.searchParams.get('content'), 0, 0, MAX_BULK_CONTENT_CHARS, 'content');
  const { version, headers } = await atVersion(graph());
  const found = await graph().nodesById(ids.map(Number), content > 0);
  return json(res, 200, { nodes: content > 0 ? found.map((n) => clipContent(n, content)) : found, version }, headers);
}

/** Without `ids`: the node list page by page (agents and scripts walk the whole graph this way). */
async function nodeList(graph: () => GraphPort, res: ServerResponse, url: URL): Promise<void> {
  const offset = boundedInt(url.searchParams.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
  const limit = boundedInt(url.searchParams.get('limit'), MAX_NODES_ASKED, 1, MAX_NODES_ASKED, 'limit');
  const type = url.searchParams.get('type') ?? undefined;
  if (type !== undefined && type.length > 256) throw new HttpError(400, 'type: at most 256 characters');
  const { version, headers } = await atVersion(graph());
  return json(res, 200, { ...(await graph().nodePage(offset, limit, type)), version }, headers);
}

async function edges(graph: () => GraphPort, res: ServerResponse, url: URL): Promise<void> {
  const offset = boundedInt(url.searchParams.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
  const limit = boundedInt(url.searchParams.get('limit'), 10_000, 1, 100_000);
  const { version, headers } = await atVersion(graph());
  return json(res, 200, { ...(await graph().edgePage(offset, limit)), version }, headers);
}

async function node(graph: () => GraphPort, res: ServerResponse, url: URL, id: number): Promise<void> {
  const maxContent = boundedInt(url.searchParams.get('content'), CONTENT_DEFAULT_CHARS, 0, CONTENT_MAX_CHARS, 'content');
  const { version, headers } = await atVersion(graph());
  const found = await graph().node(id);
  if (found === undefined) throw new HttpError(404, `no node ${id}`, headers);
  return json(res, 200, { ...clipContent(found, maxContent), version }, headers);
}

async function neighbours(graph: () => GraphPort, res: ServerResponse, url: URL, id: number): Promise<void> {
  const limit = boundedInt(url.searchParams.get('limit'), 100, 1, 10_000);
  const { version, headers } = await atVersion(graph());
  const found = await graph().neighbours(id, limit);
  if (found === undefined) throw new HttpError(404, `no node ${id}`, headers);
  return json(res, 200, { id, neighbours: found, version }, headers);
}
