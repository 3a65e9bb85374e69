// The gateway's HTTP routes, behind the same tokens and roles as the WebSocket sessions:
//
//   GET  /healthz                                 no token: liveness, 200 while the process serves HTTP
//   GET  /readyz                                  no token: can each subsystem serve, as JSON (readiness.ts);
//                                                  200 when ready, 503 when not
//   GET  /metrics, /status, /api/tree, /api/events admin
//   GET  /api/gpu                                  admin: the CUDA driver and devices, each kernel module's
//                                                  load (or every image refused and why), device resets
//   POST /api/faults                               admin: {path, kind: throw|stall|kill, times?, durationMs?}
//   POST /api/tokens                               admin: {role, ttlSeconds?, sub?}: a token for another role
//   GET  /api/graph/...                            read: each answer carries the graph version it
//                                                  reflects (`version`, header x-graph-version)
//   GET  /api/graph/node/:id?content=N             read: the node, its content cut to N characters
//                                                  (default 16384, 0: none) with contentLength when cut
//   GET  /api/graph/node/:id/neighbours?limit=     read
//   GET  /api/graph/search?q=&limit=               read
//   GET  /api/graph/nodes?ids=1,2,3&content=N      read: those nodes (up to 1000 ids; absent ones left out),
//                                                  each with its content cut to N characters (default 0,
//                                                  at most 4000)
//   GET  /api/graph/edges?offset=&limit=           read: a page of the edge list {total, offset, edges, next?},
//                                                  each edge {id, source, target, directed}
//   GET  /api/settings?paths=a,b                   read
//   PUT|POST /api/settings                          settings:write: {changes: [{path, value, ifVersion?}]}
//   GET  / and the viewer's files                  read (query, bearer or the page's cookie); the page
//                                                  itself answers a missing or bad token with an HTML
//                                                  page saying how to get a new address
//
// Answers: 400 bad input, 401 no or bad token, 403 role, 404, 405 (with Allow), 413 body too big,
// 409 settings conflict, 503 what the route needs is not up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ROLES, type Permission } from '../auth/roles.ts';
import { MAX_MINTED_TTL_SECONDS, type TokenAuthority } from '../auth/token.ts';
import { AskTimeoutError, RecipientUnavailableError } from '../shared/ask-errors.ts';
import type { Recipient as Ref } from '../shared/recipient.ts';
import type { RouteSystem as ActorSystem } from './route-system.ts';
import { statusPage } from './status-page.ts';
import { gpuStatus } from '../gpu/gpu-status.ts';
import type { SetResult, SettingsMsg, SettingsSnapshot } from '../settings/protocol.ts';
import { authorise, requestToken, TOKEN_COOKIE } from './http-auth.ts';
import type { GatewayLimits } from './limits.ts';
import { clipContent, CONTENT_DEFAULT_CHARS, CONTENT_MAX_CHARS } from './node-content.ts';
import type { GraphPort } from './ports.ts';
import type { ReadinessReport } from './readiness.ts';
import { serveStatic, tokenPage, VIEWER_NOT_BUILT } from './static-files.ts';

export interface HttpDeps {
  readonly system: ActorSystem;
  readonly tokens: TokenAuthority;
  readonly limits: GatewayLimits;
  readonly registry: Registry | undefined;
  readonly staticRoot: string;
  readonly graph: GraphPort | undefined;
  readonly settings: () => Ref<SettingsMsg> | undefined;
  readonly wallClock: () => number;
  /** Whether each subsystem can serve now (the app tree up and the server listening among them). */
  readiness(): Promise<ReadinessReport>;
  recentEvents(): readonly unknown[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const settingValue = z.union([z.boolean(), z.number().finite(), z.string().max(65_536)]);
const change = z.object({ path: z.string().min(1).max(512), value: settingValue, ifVersion: z.number().int().nonnegative().optional() }).strict();
const settingsBody = z.union([z.object({ changes: z.array(change).min(1).max(1024) }).strict(), change]);
const tokenBody = z.object({
  role: z.enum(ROLES),
  ttlSeconds: z.number().int().min(1).max(MAX_MINTED_TTL_SECONDS).default(24 * 3600),
  sub: z.string().min(1).max(256).optional(),
});

const faultBody = z.discriminatedUnion('kind', [
  z.object({ path: z.string().startsWith('/').max(512), kind: z.literal('throw'), times: z.number().int().min(1).max(1_000_000).default(1) }),
  z.object({
    path: z.string().startsWith('/').max(512),
    kind: z.literal('stall'),
    durationMs: z.number().min(0).max(600_000),
    times: z.number().int().min(1).max(1_000_000).default(1),
  }),
  z.object({ path: z.string().startsWith('/').max(512), kind: z.literal('kill') }),
]);

const NODE_ID = /^(0|[1-9][0-9]{0,9})$/;
/** Most ids one GET /api/graph/nodes names (the graph's query bound). */
const MAX_NODES_ASKED = 1000;
/** Most content characters per node a GET /api/graph/nodes returns (1000 nodes: 4 MB at most). */
const MAX_BULK_CONTENT_CHARS = 4_000;

export function httpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void =>
    send(res, status, 'application/json', JSON.stringify(value), headers);

  const need = (req: IncomingMessage, url: URL, permission: Permission, allowCookie = false) => {
    const outcome = authorise(deps.tokens, requestToken(req, url, allowCookie), permission);
    if (!outcome.ok) throw new HttpError(outcome.status, outcome.message, outcome.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    return outcome;
  };

  const methods = (req: IncomingMessage, allowed: readonly string[]): void => {
    if (!allowed.includes(req.method ?? '')) throw new HttpError(405, 'method not allowed', { allow: allowed.join(', ') });
  };

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const max = deps.limits.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) throw new HttpError(413, `body over ${max} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new HttpError(413, `body over ${max} bytes`);
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
  };

  const graph = (): GraphPort => {
    if (deps.graph === undefined) throw new HttpError(503, 'no graph on this node');
    return deps.graph;
  };

  const settingsRef = (): Ref<SettingsMsg> => {
    const ref = deps.settings();
    if (ref === undefined) throw new HttpError(503, 'no settings actor on this node');
    return ref;
  };

  const settings = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    methods(req, ['GET', 'HEAD', 'PUT', 'POST']);
    if (req.method === 'GET' || req.method === 'HEAD') {
      need(req, url, 'read');
      const paths = (url.searchParams.get('paths') ?? '').split(',').filter((p) => p !== '');
      const snapshot = await deps.system.ask<SettingsMsg, SettingsSnapshot>(
        settingsRef(),
        (replyTo) => (paths.length > 0 ? { type: 'get', paths, replyTo } : { type: 'get', replyTo }),
        deps.limits.askTimeoutMs,
      );
      return json(res, 200, snapshot);
    }
    const auth = need(req, url, 'settings:write');
    const parsed = settingsBody.safeParse(await readBody(req));
    if (!parsed.success) throw new HttpError(400, `bad settings change: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const changes = 'changes' in parsed.data ? parsed.data.changes : [parsed.data];
    const result = await deps.system.ask<SettingsMsg, SetResult>(
      settingsRef(),
      (replyTo) => ({ type: 'set', client: `http:${auth.claims.sub}`, changes, replyTo }),
      deps.limits.askTimeoutMs,
    );
    if (result.ok) return json(res, 200, result);
    const codes = new Set(result.errors.map((e) => e.code));
    const status = codes.has('forbidden') ? 403 : codes.has('conflict') ? 409 : codes.has('unavailable') ? 503 : codes.has('unknown-path') ? 404 : 400;
    return json(res, status, result);
  };

  // Every graph answer says the graph version it reflects (`version`, and the x-graph-version
  // header, 404s included): read before the data, so the data holds at least every change up to
  // it, and a client replays the change stream from there to line its copy up.
  const graphRoute = async (req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> => {
    methods(req, ['GET', 'HEAD']);
    need(req, url, 'read');
    const atVersion = async (): Promise<{ version: number; headers: Record<string, string> }> => {
      const version = await graph().version();
      return { version, headers: { 'x-graph-version': String(version) } };
    };
    if (parts.length === 1 && parts[0] === 'search') {
      const q = url.searchParams.get('q') ?? '';
      if (q.length === 0 || q.length > 256) throw new HttpError(400, 'q must be 1 to 256 characters');
      const limit = boundedInt(url.searchParams.get('limit'), 20, 1, 200);
      const { version, headers } = await atVersion();
      return json(res, 200, { query: q, nodes: await graph().search(q, limit), version }, headers);
    }
    if (parts.length === 1 && parts[0] === 'nodes') {
      const raw = url.searchParams.get('ids') ?? '';
      const ids = raw === '' ? [] : raw.split(',');
      if (ids.length > MAX_NODES_ASKED || !ids.every((id) => NODE_ID.test(id) && Number(id) <= 0xffffffff)) {
        throw new HttpError(400, `ids: up to ${MAX_NODES_ASKED} node ids (unsigned 32-bit integers), comma-separated`);
      }
      const content = boundedInt(url.searchParams.get('content'), 0, 0, MAX_BULK_CONTENT_CHARS, 'content');
      const { version, headers } = await atVersion();
      const nodes = await graph().nodesById(ids.map(Number), content > 0);
      return json(res, 200, { nodes: content > 0 ? nodes.map((n) => clipContent(n, content)) : nodes, version }, headers);
    }
    if (parts.length === 1 && parts[0] === 'edges') {
      const offset = boundedInt(url.searchParams.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
      const limit = boundedInt(url.searchParams.get('limit'), 10_000, 1, 100_000);
      const { version, headers } = await atVersion();
      return json(res, 200, { ...(await graph().edgePage(offset, limit)), version }, headers);
    }
    if (parts[0] !== 'node' || parts.length < 2 || parts.length > 3 || (parts.length === 3 && parts[2] !== 'neighbours')) {
      throw new HttpError(404, 'not found');
    }
    const raw = parts[1]!;
    if (!NODE_ID.test(raw) || Number(raw) > 0xffffffff) throw new HttpError(400, 'a node id is an unsigned 32-bit integer');
    const id = Number(raw);
    if (parts.length === 2) {
      const maxContent = boundedInt(url.searchParams.get('content'), CONTENT_DEFAULT_CHARS, 0, CONTENT_MAX_CHARS, 'content');
      const { version, headers } = await atVersion();
      const node = await graph().node(id);
      if (node === undefined) throw new HttpError(404, `no node ${id}`, headers);
      return json(res, 200, { ...clipContent(node, maxContent), version }, headers);
    }
    const limit = boundedInt(url.searchParams.get('limit'), 100, 1, 10_000);
    const { version, headers } = await atVersion();
    const neighbours = await graph().neighbours(id, limit);
    if (neighbours === undefined) throw new HttpError(404, `no node ${id}`, headers);
    return json(res, 200, { id, neighbours, version }, headers);
  };

  const faults = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    methods(req, ['POST']);
    need(req, url, 'admin');
    const parsed = faultBody.safeParse(await readBody(req));
    if (!parsed.success) throw new HttpError(400, `bad fault: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const f = parsed.data;
    if (f.kind === 'kill') {
      if (!deps.system.faults.kill(f.path)) throw new HttpError(404, `no actor at ${f.path}`);
    } else if (f.kind === 'throw') deps.system.faults.inject(f.path, { kind: 'throw', times: f.times });
    else deps.system.faults.inject(f.path, { kind: 'stall', durationMs: f.durationMs, times: f.times });
    return json(res, 200, { injected: f });
  };

  // An admin hands out narrower tokens (a read-only viewer, an agent) signed with the node's own
  // key, which works even when the key is random per start (no VF_SECRET to mint them elsewhere).
  const mintToken = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    methods(req, ['POST']);
    const admin = need(req, url, 'admin');
    const parsed = tokenBody.safeParse(await readBody(req));
    if (!parsed.success) throw new HttpError(400, `bad token request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { role, ttlSeconds } = parsed.data;
    const sub = parsed.data.sub ?? `${role}-from-${admin.claims.sub}`;
    const token = deps.tokens.mint({ sub, role, ttlSeconds });
    return json(res, 201, { token, role, sub, expiresInSeconds: ttlSeconds });
  };

  const root = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    methods(req, ['GET', 'HEAD']);
    const auth = authorise(deps.tokens, requestToken(req, url, true), 'read');
    if (!auth.ok) {
      const headers: Record<string, string> = auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      // A person opened the page: tell them, in a page, how to get an address that works.
      if (url.pathname === '/' || url.pathname === '/index.html') return send(res, auth.status, 'text/html; charset=utf-8', tokenPage(auth.message), headers);
      throw new HttpError(auth.status, auth.message, headers);
    }
    if (url.searchParams.has('token') && url.pathname === '/') {
      const maxAge = Math.max(0, auth.claims.exp - Math.floor(deps.wallClock() / 1000));
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${auth.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`);
    }
    const served = await serveStatic(deps.staticRoot, url.pathname, res, req.method === 'HEAD');
    if (served === 'served') return;
    if (served === 'no-root' && (url.pathname === '/' || url.pathname === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', VIEWER_NOT_BUILT);
    throw new HttpError(404, 'not found');
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    switch (path) {
      case '/healthz':
        methods(req, ['GET', 'HEAD']);
        return send(res, 200, 'text/plain', 'ok\n');
      case '/readyz': {
        methods(req, ['GET', 'HEAD']);
        const readiness = await deps.readiness();
        return json(res, readiness.ready ? 200 : 503, readiness);
      }
      case '/metrics':
        methods(req, ['GET', 'HEAD']);
        need(req, url, 'admin');
        if (deps.registry === undefined) throw new HttpError(404, 'no metrics registry');
        return send(res, 200, deps.registry.contentType, await deps.registry.metrics());
      case '/status':
        methods(req, ['GET', 'HEAD']);
        need(req, url, 'admin');
        return send(res, 200, 'text/html; charset=utf-8', statusPage);
      case '/api/tree':
        methods(req, ['GET', 'HEAD']);
        need(req, url, 'admin');
        return json(res, 200, { node: deps.system.name, actors: deps.system.tree('/') });
      case '/api/events':
        methods(req, ['GET', 'HEAD']);
        need(req, url, 'admin');
        return json(res, 200, deps.recentEvents());
      case '/api/gpu':
        methods(req, ['GET', 'HEAD']);
        need(req, url, 'admin');
        return json(res, 200, gpuStatus());
      case '/api/faults':
        return faults(req, res, url);
      case '/api/tokens':
        return mintToken(req, res, url);
      case '/api/settings':
        return settings(req, res, url);
      default:
        break;
    }
    if (path.startsWith('/api/graph/')) return graphRoute(req, res, url, path.slice('/api/graph/'.length).split('/'));
    if (path.startsWith('/api/') || path === '/api' || path === '/ws') throw new HttpError(404, 'not found');
    return root(req, res, url);
  };

  return async (req, res) => {
    try {
      await route(req, res);
    } catch (error) {
      if (error instanceof HttpError) {
        send(res, error.status, 'text/plain; charset=utf-8', `${error.message}\n`, error.headers);
        if (error.status === 413) req.resume();
        return;
      }
      if (error instanceof AskTimeoutError) return send(res, 504, 'text/plain; charset=utf-8', 'the actor behind this route did not answer in time\n');
      if (error instanceof RecipientUnavailableError) return send(res, 503, 'text/plain; charset=utf-8', 'the actor behind this route is not available\n');
      send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  };
}

function boundedInt(raw: string | null, fallback: number, min: number, max: number, name = 'limit'): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}]`);
  return n;
}
