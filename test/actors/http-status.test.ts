// The node's HTTP face: probes without a token, everything else behind the token.
import test, { type ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import { httpStatus, type HttpStatusMsg } from '../../src/actors/http-status.ts';
import { bindRuntimeMetrics } from '../../src/runtime/metrics.ts';
import { testSystem } from '../helpers/system.ts';

const TOKEN = 'test-token-123';

async function serve(t: ExecutionContext) {
  const { system } = testSystem(t);
  const registry = new Registry();
  t.teardown(bindRuntimeMetrics(system, registry));
  const ref = system.spawn(httpStatus({ host: '127.0.0.1', port: 0, token: TOKEN, registry }), { name: 'http' });
  const address = await system.ask<HttpStatusMsg, { host: string; port: number }>(ref, (replyTo) => ({ type: 'address', replyTo }), 5_000);
  const base = `http://127.0.0.1:${address.port}`;
  const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${base}${path}`, init);
  const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
  return { system, ref, address, base, get, bearer };
}

test('port 0 binds a free port, reported by the address message', async (t) => {
  const { address } = await serve(t);
  t.is(address.host, '127.0.0.1');
  t.true(address.port > 0);
});

test('/healthz answers 200 without a token', async (t) => {
  const { get } = await serve(t);
  const res = await get('/healthz');
  t.is(res.status, 200);
  t.is(await res.text(), 'ok\n');
});

test('/readyz is 503 until /app exists', async (t) => {
  const { get } = await serve(t);
  t.is((await get('/readyz')).status, 503);
});

test('/metrics needs the token: 401 without, 200 with Bearer', async (t) => {
  const { get, bearer } = await serve(t);
  t.is((await get('/metrics')).status, 401);
  t.is((await get('/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const res = await get('/metrics', bearer);
  t.is(res.status, 200);
  const body = await res.text();
  t.regex(body, /vf_messages_handled\{actor="\/http"\}/);
  t.regex(body, /vf_asks_pending/);
});

test('/api/tree needs the token: 401 without, 200 with Bearer or ?token=', async (t) => {
  const { get, bearer } = await serve(t);
  t.is((await get('/api/tree')).status, 401);
  const res = await get('/api/tree', bearer);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /application\/json/);
  t.deepEqual(await res.json(), { node: 'test', actors: ['/', '/http'] });
  t.is((await get(`/api/tree?token=${TOKEN}`)).status, 200);
  t.is((await get(`/api/tree?token=${TOKEN}x`)).status, 401);
});

test('the status page and /api/events need the token', async (t) => {
  const { get, bearer } = await serve(t);
  t.is((await get('/')).status, 401);
  const page = await get('/', bearer);
  t.is(page.status, 200);
  t.regex(await page.text(), /VisionFlow node/);
  const events = await get('/api/events', bearer);
  t.is(events.status, 200);
  t.true(Array.isArray(await events.json()));
});

test('an unknown path is 404 (with the token), a POST is 405', async (t) => {
  const { get, bearer } = await serve(t);
  t.is((await get('/nope', bearer)).status, 404);
  t.is((await get('/healthz', { method: 'POST' })).status, 405);
  t.is((await get('/metrics', { ...bearer, method: 'POST' })).status, 405);
});

test('stopping the actor closes the server', async (t) => {
  const { system, ref, get } = await serve(t);
  await system.stop(ref);
  await t.throwsAsync(get('/healthz'));
});
