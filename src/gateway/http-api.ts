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
//   POST /api/tasks, GET /api/tasks, GET|DELETE /api/tasks/:id, GET /api/tasks/:id/events
//                                                  the agents' tasks (http-task-api.ts): submit
//                                                  (tasks:write, 201), list, read and follow (read),
//                                                  cancel (tasks:write)
//   GET  /api/settings?paths=a,b                   read
//   PUT|POST /api/settings                          settings:write: {changes: [{path, value, ifVersion?}]}
//   GET  / and the viewer's files                  read (query, bearer or the page's cookie); the page
//                                                  itself answers a missing or bad token with an HTML
//                                                  page saying how to get a new address
//
// Answers: 400 bad input, 401 no or bad token, 403 role, 404, 405 (with Allow), 413 body too big,
// 409 settings conflict or a task already final, 503 what the route needs is not up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ROLES } from '../auth/roles.ts';
import { MAX_MINTED_TTL_SECONDS, type TokenAuthority } from '../auth/token.ts';
import { AskTimeoutError, RecipientUnavailableError } from '../shared/ask-errors.ts';
import type { Recipient as Ref } from '../shared/recipient.ts';
import type { RouteSystem as ActorSystem } from './route-system.ts';
import { statusPage } from './status-page.ts';
import { gpuStatus } from '../gpu/gpu-status.ts';
import type { SetResult, SettingsMsg, SettingsSnapshot } from '../settings/protocol.ts';
import { authorise, requestToken, TOKEN_COOKIE } from './http-auth.ts';
import { HttpError, json, methods, need, readBody, send } from './http-exchange.ts';
import { graphRoute } from './http-graph-api.ts';
import type { GatewayLimits } from './limits.ts';
import { taskRoute } from './http-task-api.ts';
import type { GraphPort, TaskPort } from './ports.ts';
import type { ReadinessReport } from './readiness.ts';
import { serveStatic, tokenPage, VIEWER_NOT_BUILT } from './static-files.ts';

export interface HttpDeps {
  readonly system: ActorSystem;
  readonly tokens: TokenAuthority;
  readonly limits: GatewayLimits;
  readonly registry: Registry | undefined;
  readonly staticRoot: string;
  readonly graph: GraphPort | undefined;
  readonly tasks: TaskPort | undefined;
  readonly settings: () => Ref<SettingsMsg> | undefined;
  readonly wallClock: () => number;
  /** Whether each subsystem can serve now (the app tree up and the server listening among them). */
  readiness(): Promise<ReadinessReport>;
  recentEvents(): readonly unknown[];
}

const settingValue = z.union([z.boolean(), z.number().finite(), z.string().max(65_536)]);
const change = z
  .object({ path: z.string().min(1).max(512), value: settingValue, ifVersion: z.number().int().nonnegative().optional() })
  .strict();
const settingsBody = z.union([z.object({ changes: z.array(change).min(1).max(1024) }).strict(), change]);
const tokenBody = z.object({
  role: z.enum(ROLES),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_MINTED_TTL_SECONDS)
    .default(24 * 3600),
  sub: z.string().min(1).max(256).optional(),
});

const faultBody = z.discriminatedUnion('kind', [
  z.object({
    path: z.string().startsWith('/').max(512),
    kind: z.literal('throw'),
    times: z.number().int().min(1).max(1_000_000).default(1),
  }),
  z.object({
    path: z.string().startsWith('/').max(512),
    kind: z.literal('stall'),
    durationMs: z.number().min(0).max(600_000),
    times: z.number().int().min(1).max(1_000_000).default(1),
  }),
  z.object({ path: z.string().startsWith('/').max(512), kind: z.literal('kill') }),
]);

type Route = (deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export function httpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      await route(deps, req, res);
    } catch (error) {
      if (error instanceof HttpError) {
        send(res, error.status, 'text/plain; charset=utf-8', `${error.message}\n`, error.headers);
        if (error.status === 413) req.resume();
        return;
      }
      if (error instanceof AskTimeoutError)
        return send(res, 504, 'text/plain; charset=utf-8', 'the actor behind this route did not answer in time\n');
      if (error instanceof RecipientUnavailableError)
        return send(res, 503, 'text/plain; charset=utf-8', 'the actor behind this route is not available\n');
      send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  };
}

/** The routes that only read, by path; admin ones need the admin role. */
const READ_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/healthz', async (_deps, _req, res) => send(res, 200, 'text/plain', 'ok\n')],
  [
    '/readyz',
    async (deps, _req, res) => {
      const readiness = await deps.readiness();
      return json(res, readiness.ready ? 200 : 503, readiness);
    },
  ],
  [
    '/metrics',
    async (deps, req, res, url) => {
      need(deps.tokens, req, url, 'admin');
      if (deps.registry === undefined) throw new HttpError(404, 'no metrics registry');
      return send(res, 200, deps.registry.contentType, await deps.registry.metrics());
    },
  ],
  ['/status', async (deps, req, res, url) => admin(deps, req, url, () => send(res, 200, 'text/html; charset=utf-8', statusPage))],
  [
    '/api/tree',
    async (deps, req, res, url) => admin(deps, req, url, () => json(res, 200, { node: deps.system.name, actors: deps.system.tree('/') })),
  ],
  ['/api/events', async (deps, req, res, url) => admin(deps, req, url, () => json(res, 200, deps.recentEvents()))],
  ['/api/gpu', async (deps, req, res, url) => admin(deps, req, url, () => json(res, 200, gpuStatus()))],
]);

/** The routes that take a body or answer several methods, by path. */
const OTHER_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/api/faults', faults],
  ['/api/tokens', mintToken],
  ['/api/settings', settings],
]);

function admin(deps: HttpDeps, req: IncomingMessage, url: URL, answer: () => void): void {
  need(deps.tokens, req, url, 'admin');
  answer();
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const read = READ_ROUTES.get(path);
  if (read !== undefined) {
    methods(req, ['GET', 'HEAD']);
    return read(deps, req, res, url);
  }
  const other = OTHER_ROUTES.get(path);
  if (other !== undefined) return other(deps, req, res, url);
  if (path.startsWith('/api/graph/'))
    return graphRoute(deps.tokens, deps.graph, req, res, url, path.slice('/api/graph/'.length).split('/'));
  if (path === '/api/tasks' || path.startsWith('/api/tasks/'))
    return taskRoute(deps, req, res, url, path === '/api/tasks' ? [] : path.slice('/api/tasks/'.length).split('/'));
  if (path.startsWith('/api/') || path === '/api' || path === '/ws') throw new HttpError(404, 'not found');
  return root(deps, req, res, url);
}

function settingsActor(deps: HttpDeps): Ref<SettingsMsg> {
  const ref = deps.settings();
  if (ref === undefined) throw new HttpError(503, 'no settings actor on this node');
  return ref;
}

async function settings(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  methods(req, ['GET', 'HEAD', 'PUT', 'POST']);
  if (req.method === 'GET' || req.method === 'HEAD') return getSettings(deps, req, res, url);
  const auth = need(deps.tokens, req, url, 'settings:write');
  const parsed = settingsBody.safeParse(await readBody(req, deps.limits.maxBodyBytes));
  if (!parsed.success) throw new HttpError(400, `bad settings change: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const changes = 'changes' in parsed.data ? parsed.data.changes : [parsed.data];
  const result = await deps.system.ask<SettingsMsg, SetResult>(
    settingsActor(deps),
    (replyTo) => ({ type: 'set', client: `http:${auth.claims.sub}`, changes, replyTo }),
    deps.limits.askTimeoutMs,
  );
  if (result.ok) return json(res, 200, result);
  const codes = new Set(result.errors.map((e) => e.code));
  const status = codes.has('forbidden')
    ? 403
    : codes.has('conflict')
      ? 409
      : codes.has('unavailable')
        ? 503
        : codes.has('unknown-path')
          ? 404
          : 400;
  return json(res, status, result);
}

async function getSettings(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  need(deps.tokens, req, url, 'read');
  const paths = (url.searchParams.get('paths') ?? '').split(',').filter((p) => p !== '');
  const snapshot = await deps.system.ask<SettingsMsg, SettingsSnapshot>(
    settingsActor(deps),
    (replyTo) => (paths.length > 0 ? { type: 'get', paths, replyTo } : { type: 'get', replyTo }),
    deps.limits.askTimeoutMs,
  );
  return json(res, 200, snapshot);
}

async function faults(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  methods(req, ['POST']);
  need(deps.tokens, req, url, 'admin');
  const parsed = faultBody.safeParse(await readBody(req, deps.limits.maxBodyBytes));
  if (!parsed.success) throw new HttpError(400, `bad fault: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const f = parsed.data;
  if (f.kind === 'kill') {
    if (!deps.system.faults.kill(f.path)) throw new HttpError(404, `no actor at ${f.path}`);
  } else if (f.kind === 'throw') deps.system.faults.inject(f.path, { kind: 'throw', times: f.times });
  else deps.system.faults.inject(f.path, { kind: 'stall', durationMs: f.durationMs, times: f.times });
  return json(res, 200, { injected: f });
}

// An admin hands out narrower tokens (a read-only viewer, an agent) signed with the node's own
// key, which works even when the key is random per start (no VF_SECRET to mint them elsewhere).
async function mintToken(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  methods(req, ['POST']);
  const admin = need(deps.tokens, req, url, 'admin');
  const parsed = tokenBody.safeParse(await readBody(req, deps.limits.maxBodyBytes));
  if (!parsed.success) throw new HttpError(400, `bad token request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const { role, ttlSeconds } = parsed.data;
  const sub = parsed.data.sub ?? `${role}-from-${admin.claims.sub}`;
  const token = deps.tokens.mint({ sub, role, ttlSeconds });
  return json(res, 201, { token, role, sub, expiresInSeconds: ttlSeconds });
}

async function root(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  methods(req, ['GET', 'HEAD']);
  const auth = authorise(deps.tokens, requestToken(req, url, true), 'read');
  if (!auth.ok) {
    const headers: Record<string, string> = auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
    // A person opened the page: tell them, in a page, how to get an address that works.
    if (url.pathname === '/' || url.pathname === '/index.html')
      return send(res, auth.status, 'text/html; charset=utf-8', tokenPage(auth.message), headers);
    throw new HttpError(auth.status, auth.message, headers);
  }
  if (url.searchParams.has('token') && url.pathname === '/') {
    const maxAge = Math.max(0, auth.claims.exp - Math.floor(deps.wallClock() / 1000));
    res.setHeader('set-cookie', `${TOKEN_COOKIE}=${auth.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`);
  }
  const served = await serveStatic(deps.staticRoot, url.pathname, res, req.method === 'HEAD');
  if (served === 'served') return;
  if (served === 'no-root' && (url.pathname === '/' || url.pathname === '/index.html'))
    return send(res, 200, 'text/html; charset=utf-8', VIEWER_NOT_BUILT);
  throw new HttpError(404, 'not found');
}
