// Settings through sessions: get, set (acked by the delta), broadcast to the others, two clients
// changing the same setting, compare-and-set, errors with the value that stands.
import test from 'ava';
import {
  ErrorCode,
  JsonValueT,
  NumberValueT,
  Payload,
  SettingValue,
  SettingsBatchT,
  SettingsGetT,
  SettingsSetT,
  StringValueT,
  Topic,
  type ErrorReplyT,
  type SettingsDeltaT,
} from '../../src/protocol/index.ts';
import { startGateway, WALL_START, type Client } from './support.ts';

const deltas = (c: Client) =>
  c.of(Payload.SettingsDelta).map((e) => {
    const d = e.payload as SettingsDeltaT;
    const value = d.newValue as NumberValueT | StringValueT;
    return {
      path: String(d.path),
      value: value.value,
      version: Number(d.version),
      client: String(d.client),
      corr: Number(e.correlationId),
    };
  });

test('SettingsGet answers one SettingsDelta per path, with its version, correlated to the request', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer');
  const seq = c.send(new SettingsGetT(['physics.damping']));
  const all = c.send(new SettingsGetT([]));
  await c.waitFor(() => c.of(Payload.SettingsDelta).length === 3);
  t.deepEqual(deltas(c), [
    { path: 'physics.damping', value: 0.9, version: 0, client: 'server', corr: seq },
    { path: 'physics.damping', value: 0.9, version: 0, client: 'server', corr: all },
    { path: 'ui.theme', value: 'dark', version: 0, client: 'server', corr: all },
  ]);
});

test('SettingsGet always gets an answer: unknown paths are named in one NotFound error after the known values', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('viewer');
  const onlyUnknown = c.send(new SettingsGetT(['no.such.path']));
  const mixed = c.send(new SettingsGetT(['physics.damping', 'nope', 'nor.this']));
  const prefix = c.send(new SettingsGetT(['nothing.here.']));
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 3 && c.of(Payload.SettingsDelta).length === 1);
  const replies = c.of(Payload.ErrorReply).map((e) => ({
    code: (e.payload as { code: ErrorCode }).code,
    message: (e.payload as { message: string }).message,
    corr: Number(e.correlationId),
  }));
  t.deepEqual(replies, [
    { code: ErrorCode.NotFound, message: 'unknown setting path: no.such.path', corr: onlyUnknown },
    { code: ErrorCode.NotFound, message: 'unknown setting paths: nope, nor.this', corr: mixed },
    { code: ErrorCode.NotFound, message: 'unknown setting path: nothing.here.', corr: prefix },
  ]);
  t.deepEqual(
    deltas(c).map((d) => [d.path, d.corr]),
    [['physics.damping', mixed]],
  );
});

test('a set is acked with its delta; subscribed others get it as a broadcast', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('editor');
  const b = await h.session('viewer');
  a.subscribe(Topic.Settings);
  b.subscribe(Topic.Settings);
  await h.advance(0);
  const seq = a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.5)));
  await b.waitFor(() => b.of(Payload.SettingsDelta).length === 1 && a.of(Payload.SettingsDelta).length === 1);
  t.deepEqual(deltas(a), [{ path: 'physics.damping', value: 0.5, version: 1, client: a.sessionId, corr: seq }]);
  t.deepEqual(deltas(b), [{ path: 'physics.damping', value: 0.5, version: 1, client: a.sessionId, corr: 0 }]);
  const old = b.of(Payload.SettingsDelta)[0]!.payload as SettingsDeltaT;
  t.is((old.oldValue as NumberValueT).value, 0.9);
  // The timestamp is the time the server applied it, and only that.
  t.deepEqual([old.timestamp?.wallMs, old.timestamp?.logical, old.timestamp?.node], [BigInt(WALL_START), 0, 0]);
});

test('compare-and-set over the socket: a stale if_version is a Conflict with the value that stands', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('editor');
  const first = a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.5), 0n));
  await a.waitFor(() => a.of(Payload.SettingsDelta).length === 1);
  t.deepEqual(deltas(a), [{ path: 'physics.damping', value: 0.5, version: 1, client: a.sessionId, corr: first }]);
  // Still at version 0 as far as this request knows: refused, and told what stands (version 1).
  const stale = a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.7), 0n));
  await a.waitFor(() => a.of(Payload.ErrorReply).length === 1 && a.of(Payload.SettingsDelta).length === 2);
  const err = a.of(Payload.ErrorReply)[0]!;
  t.deepEqual([(err.payload as ErrorReplyT).code, Number(err.correlationId)], [ErrorCode.Conflict, stale]);
  t.deepEqual(deltas(a)[1], { path: 'physics.damping', value: 0.5, version: 1, client: 'server', corr: stale });
  // With the version it now knows it goes through; -1 (the default) is unconditional.
  const fresh = a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.7), 1n));
  const blind = a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.8)));
  await a.waitFor(() => a.of(Payload.SettingsDelta).length === 4);
  t.deepEqual(
    deltas(a)
      .slice(2)
      .map((d) => [d.value, d.version, d.corr]),
    [
      [0.7, 2, fresh],
      [0.8, 3, blind],
    ],
  );
  t.is(a.of(Payload.ErrorReply).length, 1);
});

test('two clients change one setting at once: both converge on the highest version', async (t) => {
  const h = await startGateway(t);
  const a = await h.session('editor');
  const b = await h.session('editor');
  a.subscribe(Topic.Settings);
  b.subscribe(Topic.Settings);
  await h.advance(0);
  a.send(new SettingsSetT('ui.theme', SettingValue.StringValue, new StringValueT('light')));
  b.send(new SettingsSetT('ui.theme', SettingValue.StringValue, new StringValueT('solarized')));
  await a.waitFor(() => a.of(Payload.SettingsDelta).length === 2 && b.of(Payload.SettingsDelta).length === 2);
  // Each client keeps, per path, the value with the highest version it has seen (its own ack or
  // the other's broadcast): the optimistic copy reconciles to the server's order.
  const settle = (c: Client) => deltas(c).reduce((best, d) => (d.version > best.version ? d : best));
  t.deepEqual(settle(a).value, settle(b).value);
  t.is(settle(a).version, 2);
  t.is(settle(a).value, 'solarized');
});

test('errors come back as ErrorReply; a JSON value or unknown path changes nothing', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('editor');
  const json = c.send(new SettingsSetT('ui.theme', SettingValue.JsonValue, new JsonValueT('[1]')));
  const unknown = c.send(new SettingsBatchT([new SettingsSetT('nope', SettingValue.NumberValue, new NumberValueT(1))]));
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 2);
  const e = c.of(Payload.ErrorReply).map((x) => [(x.payload as ErrorReplyT).code, Number(x.correlationId)]);
  t.deepEqual(e, [
    [ErrorCode.BadMessage, json],
    [ErrorCode.NotFound, unknown],
  ]);
});

test("the sessions' replay rings stay within the gateway's shared budget and give their bytes back when the sessions end", async (t) => {
  const h = await startGateway(t, { limits: { replayBudgetBytes: 2_000 } });
  const a = await h.session('editor');
  const viewers = await Promise.all([0, 1, 2].map(() => h.session('viewer')));
  for (const c of [a, ...viewers]) c.subscribe(Topic.Settings);
  await h.advance(0);
  for (let i = 0; i < 40; i++) {
    a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.5 + i / 100)));
    await h.advance(150); // past the broadcast batch interval: each change goes out on its own
  }
  await viewers[2]!.waitFor(() => viewers[2]!.of(Payload.SettingsDelta).length === 40);
  const held = (await h.stats()).replayBytes;
  t.true(held > 1_000 && held <= 2_000, `held ${held}`);
  for (const c of [a, ...viewers]) c.ws.close(1000, 'bye');
  await Promise.all([a, ...viewers].map((c) => c.waitClosed()));
  for (let i = 0; i < 100 && (await h.stats()).sessions > 0; i++) await h.advance(10);
  t.is((await h.stats()).replayBytes, 0);
});
