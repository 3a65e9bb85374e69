// The task routes: POST /api/tasks, GET /api/tasks, GET and DELETE /api/tasks/:id, with every
// status they answer (201, 200, 400, 401, 403, 404, 405, 409, 413, 503).
import { request } from 'node:http';
import test from 'ava';
import { startGateway } from './support.ts';
import { startTaskGateway, type TaskHarness } from './tasks-support.ts';

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, unknown>;
  json<T = Record<string, unknown>>(): T;
}

function call(port: number, method: string, path: string, token?: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, json: <T>() => JSON.parse(text) as T }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (h: TaskHarness, body: unknown, token = h.token('editor')) =>
  call(h.port, 'POST', '/api/tasks', token, typeof body === 'string' ? body : JSON.stringify(body));

test('POST /api/tasks queues a task: 201, its location, the queue told who asked; JSON input becomes its text', async (t) => {
  const h = await startTaskGateway(t);
  const r = await post(h, { description: 'link the pages', recipe: 'link-pages', input: { pages: [1, 2] }, priority: 5, maxAttempts: 2 });
  t.is(r.status, 201);
  const task = r.json<{ id: string; state: string; input: string; submittedBy: string }>();
  t.is(task.state, 'queued');
  t.is(task.input, '{"pages":[1,2]}');
  t.is(task.submittedBy, 'user-editor');
  t.is(r.headers.location, `/api/tasks/${task.id}`);
  t.like(
    h.queue.received.find((m) => m.type === 'submit'),
    {
      task: { description: 'link the pages', recipe: 'link-pages', priority: 5, maxAttempts: 2 },
      by: { subject: 'user-editor', role: 'editor' },
    },
  );
  const plain = await post(h, { description: 'summarise', capability: 'summarise', input: 'as text' }, h.token('admin'));
  t.is(plain.status, 201);
  t.is(plain.json<{ input: string }>().input, 'as text');
});

test('POST /api/tasks refuses bad bodies with 400 and the reason, bad tokens with 401, other roles with 403', async (t) => {
  const h = await startTaskGateway(t);
  const bad: [unknown, RegExp][] = [
    ['{not json', /body is not JSON/],
    [[], /bad task/],
    [{}, /description/],
    [{ description: '', capability: 'x' }, /description: must not be empty/],
    [{ description: 'x' }, /recipe or a capability/],
    [{ description: 'x', capability: 'x', priority: 256 }, /priority/],
    [{ description: 'x', capability: 'x', maxAttempts: 1.5 }, /maxAttempts/],
    [{ description: 'x', capability: 'x', swarm: 'a/b' }, /swarm: letters/],
    [{ description: 'x', capability: 'x', extra: 1 }, /extra/],
    [{ description: 'x', capability: 'x', deadlineMs: -1 }, /deadlineMs/],
    [{ description: 'x', recipe: 'no-such-recipe' }, /unknown recipe/],
  ];
  for (const [body, reason] of bad) {
    const r = await post(h, body);
    t.is(r.status, 400, JSON.stringify(body));
    t.regex(r.body, reason);
  }
  t.is((await post(h, { description: 'x', capability: 'x' }, 'nope')).status, 401);
  t.is((await call(h.port, 'POST', '/api/tasks', undefined, '{}')).status, 401);
  for (const role of ['viewer', 'agent'] as const) t.is((await post(h, { description: 'x', capability: 'x' }, h.token(role))).status, 403);
  t.is((await call(h.port, 'PUT', '/api/tasks', h.token('admin'), '{}')).status, 405);
  t.is((await call(h.port, 'POST', '/api/tasks/t-1', h.token('admin'), '{}')).status, 405);
  t.is((await call(h.port, 'GET', '/api/tasks/t-1/more', h.token('admin'))).status, 404);
});

test('a body over the task bound is refused with 413', async (t) => {
  const h = await startTaskGateway(t);
  const r = await post(h, { description: 'x', capability: 'x', input: 'y'.repeat(3 << 20) });
  t.is(r.status, 413);
  // Input at its wire bound fits.
  t.is((await post(h, { description: 'x', capability: 'x', input: 'y'.repeat(1 << 20) })).status, 201);
  t.is((await post(h, { description: 'x', capability: 'x', input: 'y'.repeat((1 << 20) + 1) })).status, 400);
});

test('GET /api/tasks lists newest first, by state and parent, bounded; GET /api/tasks/:id reads one', async (t) => {
  const h = await startTaskGateway(t);
  for (let i = 0; i < 5; i++) t.is((await post(h, { description: `task ${i}`, capability: 'x' })).status, 201);
  h.queue.update('t-2', { state: 'running' });
  h.queue.update('t-4', { state: 'done', parentId: 't-1' });
  const viewer = h.token('viewer');
  const all = (await call(h.port, 'GET', '/api/tasks', viewer)).json<{ tasks: { id: string }[] }>();
  t.deepEqual(
    all.tasks.map((x) => x.id),
    ['t-5', 't-4', 't-3', 't-2', 't-1'],
  );
  const some = await call(h.port, 'GET', '/api/tasks?state=running,done&limit=1', viewer);
  t.deepEqual(
    some.json<{ tasks: { id: string }[] }>().tasks.map((x) => x.id),
    ['t-4'],
  );
  t.like(h.queue.received.at(-1), { type: 'list', states: ['running', 'done'], limit: 1 });
  const children = await call(h.port, 'GET', '/api/tasks?parent=t-1', viewer);
  t.deepEqual(
    children.json<{ tasks: { id: string }[] }>().tasks.map((x) => x.id),
    ['t-4'],
  );
  t.is((await call(h.port, 'GET', '/api/tasks?state=sleeping', viewer)).status, 400);
  t.is((await call(h.port, 'GET', '/api/tasks?limit=0', viewer)).status, 400);
  t.is((await call(h.port, 'GET', '/api/tasks?limit=1001', viewer)).status, 400);
  t.is((await call(h.port, 'GET', '/api/tasks')).status, 401);

  const one = await call(h.port, 'GET', '/api/tasks/t-2', viewer);
  t.is(one.status, 200);
  t.like(one.json(), { id: 't-2', state: 'running' });
  const missing = await call(h.port, 'GET', '/api/tasks/t-99', viewer);
  t.is(missing.status, 404);
  t.like(missing.json(), { error: 'not-found' });
  t.is((await call(h.port, 'GET', `/api/tasks/${'x'.repeat(257)}`, viewer)).status, 400);
  t.is((await call(h.port, 'GET', '/api/tasks/%E0%A4%A', viewer)).status, 400);
});

test('DELETE /api/tasks/:id cancels: own 200, another editor 403, admin 200, unknown 404, final 409, viewer 403', async (t) => {
  const h = await startTaskGateway(t);
  const alice = h.token('editor', 3600, 'alice');
  const bob = h.token('editor', 3600, 'bob');
  t.is((await post(h, { description: 'a', capability: 'x' }, alice)).status, 201);
  t.is((await post(h, { description: 'b', capability: 'x' }, alice)).status, 201);
  const forbidden = await call(h.port, 'DELETE', '/api/tasks/t-1', bob);
  t.is(forbidden.status, 403);
  t.like(forbidden.json(), { error: 'forbidden' });
  const own = await call(h.port, 'DELETE', '/api/tasks/t-1?reason=not%20needed', alice);
  t.is(own.status, 200);
  t.like(own.json(), { id: 't-1', state: 'cancelled', errors: ['not needed'] });
  t.is((await call(h.port, 'DELETE', '/api/tasks/t-2', h.token('admin'))).status, 200);
  t.is((await call(h.port, 'DELETE', '/api/tasks/t-2', h.token('admin'))).status, 409);
  t.is((await call(h.port, 'DELETE', '/api/tasks/t-9', h.token('admin'))).status, 404);
  t.is((await call(h.port, 'DELETE', '/api/tasks/t-2', h.token('viewer'))).status, 403);
  t.is((await call(h.port, 'DELETE', '/api/tasks/t-2')).status, 401);
});

test('503 when the queue is not running, does not answer, or the node has no task queue', async (t) => {
  const down = await startTaskGateway(t, { withQueue: false });
  const r = await post(down, { description: 'x', capability: 'x' });
  t.is(r.status, 503);
  t.is(r.headers['retry-after'], '1');
  t.like(r.json(), { error: 'unavailable' });
  t.is((await call(down.port, 'GET', '/api/tasks', down.token('viewer'))).status, 503);

  const silent = await startTaskGateway(t, { timeoutMs: 1_000 });
  silent.queue.silent = true;
  const waiting = call(silent.port, 'GET', '/api/tasks/t-1', silent.token('viewer'));
  await silent.system.settled();
  for (let i = 0; i < 100 && silent.queue.received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await silent.advance(1_001);
  const late = await waiting;
  t.is(late.status, 503);
  t.regex(late.body, /did not answer the get within 1000 ms/);

  const none = await startGateway(t);
  t.is((await call(none.port, 'GET', '/api/tasks', none.token('viewer'))).status, 503);
  t.is((await call(none.port, 'POST', '/api/tasks', none.token('editor'), '{}')).status, 503);
});

test('GET /api/tasks/:id/events streams the task as Server-Sent Events, its current state first, until final', async (t) => {
  const h = await startTaskGateway(t);
  t.is((await post(h, { description: 'follow me', capability: 'x' })).status, 201);
  const events: { state: string; progress: number }[] = [];
  const ended = new Promise<{ status: number; type: unknown }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: h.port, path: '/api/tasks/t-1/events', headers: { authorization: `Bearer ${h.token('viewer')}` } },
      (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (block.startsWith('event: task') && data !== undefined)
              events.push(JSON.parse(data.slice(6)) as { state: string; progress: number });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  for (let i = 0; i < 200 && (events.length === 0 || h.queue.watchers.size === 0); i++) await new Promise((r) => setTimeout(r, 5));
  h.queue.update('t-1', { state: 'running', progress: 0.5 });
  h.queue.update('t-1', { progress: 0.75 });
  h.queue.update('t-1', { state: 'done', progress: 1 });
  const end = await ended;
  t.is(end.status, 200);
  t.is(end.type, 'text/event-stream');
  t.deepEqual(
    events.map((e) => [e.state, e.progress]),
    [
      ['queued', 0],
      ['running', 0.5],
      ['running', 0.75],
      ['done', 1],
    ],
  );
  await h.advance(0);
  t.is(h.queue.watchers.size, 0, 'the stream stopped watching');
  t.is((await call(h.port, 'GET', '/api/tasks/t-9/events', h.token('viewer'))).status, 404);
  t.is((await call(h.port, 'GET', '/api/tasks/t-1/events')).status, 401);
  await h.advance(0);
  t.is(h.queue.watchers.size, 0, 'a refused stream leaves no watcher');
});
