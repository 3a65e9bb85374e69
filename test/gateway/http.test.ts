// The gateway's HTTP routes: probes, tokens and roles, graph queries, settings, metrics, the status
// page, static files with traversal attempts, and the answers for bad requests.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { GraphOp, GraphUpdateT, Payload, RemoveNodeT } from '../../src/protocol/index.ts';
import { startGateway, type Harness } from './support.ts';

function viewerDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'vf-viewer-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>viewer</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'top secret');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'link.txt'));
  return dist;
}

/** A raw request, so that paths reach the server exactly as written (fetch normalises them). */
function raw(
  h: Harness,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('probes need no token; /readyz is 503 until /app exists', async (t) => {
  const h = await startGateway(t);
  t.is((await raw(h, '/healthz')).status, 200);
  t.is((await raw(h, '/readyz')).status, 503);
  t.is((await raw(h, '/healthz', {}, 'POST')).status, 405);
  t.is((await raw(h, '/healthz', {}, 'POST')).headers.allow, 'GET, HEAD');
});

test('metrics, status page, tree and events are for admins: 401 without a token, 403 for other roles', async (t) => {
  const h = await startGateway(t);
  for (const path of ['/metrics', '/status', '/api/tree', '/api/events']) {
    t.is((await raw(h, path)).status, 401, path);
    t.is((await raw(h, path, bearer(h.token('editor')))).status, 403, path);
    t.is((await raw(h, `${path}?token=${h.token('admin')}`)).status, 200, path);
  }
  const c = await h.session('viewer');
  void c;
  const metrics = await raw(h, '/metrics', bearer(h.token('admin')));
  t.regex(metrics.body, /vf_gateway_sessions 1/);
  t.regex((await raw(h, '/status', bearer(h.token('admin')))).body, /VisionFlow node/);
  const tree = JSON.parse((await raw(h, '/api/tree', bearer(h.token('admin')))).body) as { actors: string[] };
  t.true(tree.actors.includes('/gateway'));
});

test('expired, forged and malformed tokens are 401 on every protected route', async (t) => {
  const h = await startGateway(t);
  const expired = h.token('admin', 1);
  h.wall += 2_000;
  t.is((await raw(h, '/api/graph/node/1', bearer(expired))).status, 401);
  t.regex((await raw(h, '/api/graph/node/1', bearer(expired))).body, /expired/);
  t.is((await raw(h, '/api/graph/node/1', bearer(`${h.token('admin').slice(0, -2)}AA`))).status, 401);
  t.is((await raw(h, '/api/graph/node/1?token=%00%01')).status, 401);
});

test('graph queries: a node, its neighbours, search by title; 400 and 404 where due', async (t) => {
  const h = await startGateway(t);
  const v = bearer(h.token('viewer'));
  t.deepEqual(JSON.parse((await raw(h, '/api/graph/node/1', v)).body), { id: 1, kind: 'knowledge', title: 'Alpha', version: 0 });
  const n = JSON.parse((await raw(h, '/api/graph/node/1/neighbours', v)).body) as { neighbours: { id: number }[] };
  t.deepEqual(
    n.neighbours.map((x) => x.id),
    [2, 3],
  );
  const s = JSON.parse((await raw(h, '/api/graph/search?q=alpha', v)).body) as { nodes: { id: number }[] };
  t.deepEqual(
    s.nodes.map((x) => x.id),
    [1, 3],
  );
  t.is((await raw(h, '/api/graph/node/99', v)).status, 404);
  t.is((await raw(h, '/api/graph/node/99/neighbours', v)).status, 404);
  t.is((await raw(h, '/api/graph/node/-1', v)).status, 400);
  t.is((await raw(h, '/api/graph/node/4294967296', v)).status, 400);
  t.is((await raw(h, '/api/graph/search?q=', v)).status, 400);
  t.is((await raw(h, '/api/graph/search?q=a&limit=0', v)).status, 400);
  t.is((await raw(h, '/api/graph/node/1', v, 'DELETE')).status, 405);
  t.is((await raw(h, '/api/nothing', v)).status, 404);
});

test('every graph answer says the graph version it reflects, in its body and the x-graph-version header (a 404 too)', async (t) => {
  const h = await startGateway(t);
  const v = bearer(h.token('viewer'));
  const editor = await h.session('editor');
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)));
  editor.send(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)));
  await editor.waitFor(() => editor.of(Payload.Ack).length === 2);
  for (const path of ['/api/graph/node/1', '/api/graph/node/1/neighbours', '/api/graph/search?q=alpha', '/api/graph/edges']) {
    const res = await raw(h, path, v);
    t.is((JSON.parse(res.body) as { version: number }).version, 2, path);
    t.is(res.headers['x-graph-version'], '2', path);
  }
  const missing = await raw(h, '/api/graph/node/99', v);
  t.deepEqual([missing.status, missing.headers['x-graph-version']], [404, '2']);
});

test('a node answer carries its content, cut on a character boundary to ?content= (default 16384) with the whole length', async (t) => {
  const h = await startGateway(t);
  const v = bearer(h.token('viewer'));
  const long = `${'x'.repeat(16_383)}😀${'y'.repeat(100)}`;
  h.graph.nodes.set(5, { id: 5, kind: 'concept', title: 'Long', content: long });
  h.graph.nodes.set(6, { id: 6, kind: 'concept', title: 'Short', content: '<b>not html</b>' });
  t.deepEqual(JSON.parse((await raw(h, '/api/graph/node/6', v)).body), {
    id: 6,
    kind: 'concept',
    title: 'Short',
    content: '<b>not html</b>',
    version: 0,
  });
  const cut = JSON.parse((await raw(h, '/api/graph/node/5', v)).body) as { content: string; contentLength: number };
  t.is(cut.content, 'x'.repeat(16_383), 'the emoji is not split in half');
  t.is(cut.contentLength, long.length);
  const small = JSON.parse((await raw(h, '/api/graph/node/5?content=10', v)).body) as { content: string; contentLength: number };
  t.deepEqual([small.content, small.contentLength], ['xxxxxxxxxx', long.length]);
  const none = JSON.parse((await raw(h, '/api/graph/node/5?content=0', v)).body) as Record<string, unknown>;
  t.deepEqual(none, { id: 5, kind: 'concept', title: 'Long', contentLength: long.length, version: 0 });
  t.is((await raw(h, '/api/graph/node/5?content=-1', v)).status, 400);
  t.is((await raw(h, '/api/graph/node/5?content=9999999', v)).status, 400);
});

test('the edge list, page by page: ids as strings, next until the last page; 400 for a bad offset or limit', async (t) => {
  const h = await startGateway(t);
  const v = bearer(h.token('viewer'));
  const first = JSON.parse((await raw(h, '/api/graph/edges?limit=1', v)).body) as unknown;
  t.deepEqual(first, { total: 2, offset: 0, edges: [{ id: '1', source: 1, target: 2, directed: false }], next: 1, version: 0 });
  const last = JSON.parse((await raw(h, '/api/graph/edges?offset=1&limit=5', v)).body) as unknown;
  t.deepEqual(last, { total: 2, offset: 1, edges: [{ id: '2', source: 1, target: 3, directed: false }], version: 0 });
  t.is((await raw(h, '/api/graph/edges?offset=-1', v)).status, 400);
  t.is((await raw(h, '/api/graph/edges?limit=0', v)).status, 400);
  t.is((await raw(h, '/api/graph/edges')).status, 401);
});

test('the node list, page by page without ids, of one type when asked; 400 for a bad offset, limit or type', async (t) => {
  const h = await startGateway(t);
  const v = bearer(h.token('viewer'));
  h.graph.nodes.set(4, { id: 4, kind: 'knowledge', type: 'page', title: 'Gamma', content: 'never in a list' });
  const first = JSON.parse((await raw(h, '/api/graph/nodes?limit=2', v)).body) as unknown;
  t.deepEqual(first, {
    total: 4,
    offset: 0,
    nodes: [
      { id: 1, kind: 'knowledge', title: 'Alpha' },
      { id: 2, kind: 'file', title: 'Beta' },
    ],
    next: 2,
    version: 0,
  });
  const pages = JSON.parse((await raw(h, '/api/graph/nodes?offset=2&type=page', v)).body) as unknown;
  t.deepEqual(pages, { total: 4, offset: 2, nodes: [{ id: 4, kind: 'knowledge', type: 'page', title: 'Gamma' }], version: 0 });
  const byIds = JSON.parse((await raw(h, '/api/graph/nodes?ids=', v)).body) as { nodes: unknown[] };
  t.deepEqual(byIds.nodes, [], 'an empty ids list still asks for those ids: none');
  t.is((await raw(h, '/api/graph/nodes?offset=-1', v)).status, 400);
  t.is((await raw(h, '/api/graph/nodes?limit=1001', v)).status, 400);
  t.is((await raw(h, `/api/graph/nodes?type=${'t'.repeat(257)}`, v)).status, 400);
  t.is((await raw(h, '/api/graph/nodes')).status, 401);
});

test('settings over HTTP: get for readers, set for editors, 409 on a stale version, 413 for a big body', async (t) => {
  const h = await startGateway(t);
  const get = JSON.parse((await raw(h, '/api/settings?paths=ui.theme', bearer(h.token('viewer')))).body) as {
    values: Record<string, unknown>;
  };
  t.deepEqual(get.values, { 'ui.theme': { value: 'dark', version: 0 } });
  const json = { 'content-type': 'application/json' };
  t.is((await raw(h, '/api/settings', { ...bearer(h.token('viewer')), ...json }, 'PUT', '{"path":"ui.theme","value":"x"}')).status, 403);
  t.is((await raw(h, '/api/settings', { ...bearer(h.token('agent')), ...json }, 'PUT', '{"path":"ui.theme","value":"x"}')).status, 403);
  const ok = await raw(
    h,
    '/api/settings',
    { ...bearer(h.token('editor')), ...json },
    'PUT',
    '{"path":"ui.theme","value":"light","ifVersion":0}',
  );
  t.is(ok.status, 200);
  t.like(JSON.parse(ok.body), { ok: true, version: 1 });
  const stale = await raw(
    h,
    '/api/settings',
    { ...bearer(h.token('editor')), ...json },
    'POST',
    '{"changes":[{"path":"ui.theme","value":"blue","ifVersion":0}]}',
  );
  t.is(stale.status, 409);
  t.like(JSON.parse(stale.body), { ok: false, errors: [{ code: 'conflict', current: { value: 'light', version: 1 } }] });
  t.is((await raw(h, '/api/settings', { ...bearer(h.token('editor')), ...json }, 'PUT', '{"path":')).status, 400);
  t.is((await raw(h, '/api/settings', { ...bearer(h.token('editor')), ...json }, 'PUT', '{"path":"a","value":{}}')).status, 400);
  const big = JSON.stringify({ path: 'ui.theme', value: 'x'.repeat(70_000) });
  t.is((await raw(h, '/api/settings', { ...bearer(h.token('editor')), ...json }, 'PUT', big)).status, 413);
});

test('fault injection is an admin route that acts on the real actor', async (t) => {
  const h = await startGateway(t);
  const json = { 'content-type': 'application/json' };
  t.is((await raw(h, '/api/faults', { ...bearer(h.token('editor')), ...json }, 'POST', '{"path":"/settings","kind":"kill"}')).status, 403);
  t.is((await raw(h, '/api/faults', { ...bearer(h.token('admin')), ...json }, 'POST', '{"path":"/nope","kind":"kill"}')).status, 404);
  t.is(
    (await raw(h, '/api/faults', { ...bearer(h.token('admin')), ...json }, 'POST', '{"path":"/settings","kind":"explode"}')).status,
    400,
  );
  t.is(
    (await raw(h, '/api/faults', { ...bearer(h.token('admin')), ...json }, 'POST', '{"path":"/settings","kind":"throw","times":1}')).status,
    200,
  );
  t.is((await raw(h, '/api/faults', bearer(h.token('admin')))).status, 405);
});

test('an admin mints tokens for narrower roles over HTTP; the token reads but does not act beyond its role', async (t) => {
  const h = await startGateway(t);
  const mint = (token: string, body: unknown) =>
    raw(h, '/api/tokens', { ...bearer(token), 'content-type': 'application/json' }, 'POST', JSON.stringify(body));
  const made = await mint(h.token('admin'), { role: 'viewer', ttlSeconds: 3600 });
  t.is(made.status, 201, made.body);
  const { token, role, sub, expiresInSeconds } = JSON.parse(made.body) as {
    token: string;
    role: string;
    sub: string;
    expiresInSeconds: number;
  };
  t.is(role, 'viewer');
  t.is(sub, 'viewer-from-user-admin');
  t.is(expiresInSeconds, 3600);
  t.is((await raw(h, '/api/settings', bearer(token))).status, 200, 'the viewer token reads');
  t.is(
    (await raw(h, '/api/faults', { ...bearer(token), 'content-type': 'application/json' }, 'POST', '{"path":"/gateway","kind":"throw"}'))
      .status,
    403,
  );
  t.is((await mint(token, { role: 'admin' })).status, 403, 'a viewer may not mint');
  t.is((await mint(h.token('editor'), { role: 'viewer' })).status, 403, 'an editor may not mint');
  t.is((await raw(h, '/api/tokens', {}, 'POST', '{"role":"viewer"}')).status, 401);
  t.is((await mint(h.token('admin'), { role: 'root' })).status, 400);
  t.is((await mint(h.token('admin'), { role: 'viewer', ttlSeconds: 31 * 24 * 3600 })).status, 400);
  t.is((await raw(h, '/api/tokens', bearer(h.token('admin')))).status, 405);
  const agent = JSON.parse((await mint(h.token('admin'), { role: 'agent', sub: 'planner-1' })).body) as { token: string; sub: string };
  t.is(agent.sub, 'planner-1');
  const c = await h.session('agent', { token: agent.token });
  t.truthy(c.sessionId, 'the minted agent token opens a session');
});

test('static files: served with content types behind the token, cookie set by the page, traversal impossible', async (t) => {
  const dist = viewerDir();
  const h = await startGateway(t, { staticRoot: dist });
  const token = h.token('viewer');
  t.is((await raw(h, '/')).status, 401);
  const page = await raw(h, `/?token=${token}`);
  t.is(page.status, 200);
  t.is(page.headers['content-type'], 'text/html; charset=utf-8');
  const cookie = String((page.headers['set-cookie'] as string[])[0]).split(';')[0]!;
  t.regex(cookie, /^vf_token=/);
  const js = await raw(h, '/assets/app.js', { cookie });
  t.is(js.status, 200);
  t.is(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.is((await raw(h, '/api/graph/node/1', { cookie })).status, 401, 'the cookie is not accepted by the API');
  for (const path of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/link.txt',
    '/%00',
    '/%E0%A4%A',
    '/assets',
    '/missing.js',
  ]) {
    const res = await raw(h, path, { cookie });
    t.is(res.status, 404, path);
    t.notRegex(res.body, /top secret/);
  }
});

test('without a built viewer, / says so', async (t) => {
  const h = await startGateway(t, { staticRoot: '/nonexistent/viewer/dist' });
  const res = await raw(h, `/?token=${h.token('viewer')}`);
  t.is(res.status, 200);
  t.regex(res.body, /viewer is not built/);
  t.is((await raw(h, `/app.js?token=${h.token('viewer')}`)).status, 404);
});

test('WebSocket upgrades elsewhere than /ws are refused', async (t) => {
  const h = await startGateway(t);
  const res = await raw(h, '/other', {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  });
  t.is(res.status, 404);
});
