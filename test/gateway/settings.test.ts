// Settings through sessions: get, set (acked by the delta), broadcast to the others, two clients
// changing the same setting, errors with the value that stands.
import test from 'ava';
import type { ErrorReplyT, HlcT, SettingsDeltaT} from '../../src/protocol/index.ts';
import {
  ErrorCode, JsonValueT, NumberValueT, Payload, SettingValue, SettingsBatchT, SettingsGetT,
  SettingsSetT, StringValueT, Topic,
} from '../../src/protocol/index.ts';
import { startGateway, type Client } from './support.ts';

const deltas = (c: Client) =>
  c.of(Payload.SettingsDelta).map((e) => {
    const d = e.payload as SettingsDeltaT;
    const value = d.newValue as NumberValueT | StringValueT;
    return { path: String(d.path), value: value.value, version: (d.timestamp as HlcT).logical, client: String(d.client), corr: Number(e.correlationId) };
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
