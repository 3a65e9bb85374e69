// What a client is told about order keeps growing for the life of the store, as a booted node on
// PostgreSQL tells it: graph versions across a restart of the node on the same store, and settings
// delta timestamps (HLC stamps) across the machine's clock stepped back and a restart. The clock is
// stepped by replacing Date.now for this process, so the tests here run one at a time.
import test, { type ExecutionContext } from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import { compareHlc, type Hlc } from '../../src/crdt/hlc.ts';
import {
  HandshakeT,
  NumberValueT,
  Payload,
  SettingValue,
  SettingsSetT,
  Topic,
  type AckT,
  type GraphUpdateT,
  type SettingsDeltaT,
} from '../../src/protocol/index.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { openStoreOn, type Store } from '../../src/storage/open-store.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { addNode, node, updateNode } from '../fixtures/graph-port.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';

const WAIT_MS = 20_000;
const tokens = new TokenAuthority(KEY);

/** Boots a node on the database at `url`; `stop` terminates it and closes its store. */
async function boot(t: ExecutionContext, url: string): Promise<{ node: RunningNode; store: Store; stop(): Promise<void> }> {
  const store = await openStoreOn(pgClient(url), url);
  const running = await bootNode({
    name: 'restarts',
    host: '127.0.0.1',
    port: 0,
    store,
    tokens,
    shards: 2,
    physics: { engines: 'serial' },
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await running.system.terminate();
    await store.close();
  };
  t.teardown(stop);
  return { node: running, store, stop };
}

async function editor(t: ExecutionContext, running: RunningNode): Promise<Client> {
  const c = await Client.open(`ws://127.0.0.1:${running.address.port}/ws`);
  t.teardown(() => c.ws.terminate());
  c.send(new HandshakeT(tokens.mint({ sub: 'alice', role: 'editor', ttlSeconds: 600 }), 0, 0n, 'restarts', null));
  await c.waitFor(() => c.of(Payload.HandshakeAccepted).length === 1, WAIT_MS);
  return c;
}

async function ackOf(c: Client, seq: number): Promise<bigint> {
  await c.waitFor(() => c.envelopes.some((e) => Number(e.correlationId) === seq), WAIT_MS);
  const answer = c.envelopes.find((e) => Number(e.correlationId) === seq)!;
  if (answer.payloadType !== Payload.Ack) throw new Error(`seq ${seq} was not acknowledged: ${Payload[answer.payloadType]}`);
  return (answer.payload as AckT).version;
}

async function graphVersion(running: RunningNode): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${running.address.port}/api/graph/edges`, {
    headers: { authorization: `Bearer ${tokens.mint({ sub: 'r', role: 'viewer', ttlSeconds: 600 })}` },
  });
  return ((await res.json()) as { version: number }).version;
}

test.serial('graph versions keep growing when the node restarts on the same store', async (t) => {
  const url = await throwawayDatabase((fn) => t.teardown(fn));
  const first = await boot(t, url);
  const before = await editor(t, first.node);
  const versions: bigint[] = [];
  versions.push(await ackOf(before, before.send(addNode(node(1, 'one')))));
  for (let i = 0; i < 4; i++) versions.push(await ackOf(before, before.send(updateNode(node(1, `edit ${i}`)))));
  for (let i = 1; i < versions.length; i++) t.true(versions[i]! > versions[i - 1]!, `${versions.join(', ')}`);
  const last = versions.at(-1)!;
  await first.stop();

  const second = await boot(t, url);
  t.is(await graphVersion(second.node), Number(last), 'reads after the restart report the version the store holds');
  const after = await editor(t, second.node);
  after.subscribe(Topic.Graph);
  const next = await ackOf(after, after.send(updateNode(node(1, 'after the restart'))));
  t.true(next > last, `acked at ${next} after ${last} before the restart`);
  const change = after.envelopes.find((e) => e.payloadType === Payload.GraphUpdate)!;
  t.is((change.payload as GraphUpdateT).version, next, 'the stream carries the same version');
});

test.serial(
  'settings delta timestamps are HLC stamps that never go back: not with the clock stepped back 20 minutes, not across a restart',
  async (t) => {
    const url = await throwawayDatabase((fn) => t.teardown(fn));
    // Installed before the node boots, so every clock it makes reads the stepped time.
    const realNow = Date.now;
    let steppedBack = 0;
    Date.now = () => realNow() - steppedBack;
    t.teardown(() => {
      Date.now = realNow;
    });
    const first = await boot(t, url);
    const c = await editor(t, first.node);
    const stamps: Hlc[] = [];
    const set = async (client: Client, value: number): Promise<void> => {
      const seq = client.send(new SettingsSetT('physics.repulsion', SettingValue.NumberValue, new NumberValueT(value), -1n));
      await client.waitFor(() => client.envelopes.some((e) => Number(e.correlationId) === seq), WAIT_MS);
      const delta = client.envelopes.find((e) => Number(e.correlationId) === seq)!;
      t.is(delta.payloadType, Payload.SettingsDelta);
      const ts = (delta.payload as SettingsDeltaT).timestamp!;
      stamps.push({ wallMs: Number(ts.wallMs), logical: ts.logical, node: ts.node });
    };
    await set(c, 0.5);
    steppedBack += 20 * 60_000;
    await set(c, 0.6);
    await first.stop();

    steppedBack += 20 * 60_000;
    const second = await boot(t, url);
    await set(await editor(t, second.node), 0.7);
    for (let i = 1; i < stamps.length; i++)
      t.true(compareHlc(stamps[i]!, stamps[i - 1]!) > 0, `${JSON.stringify(stamps[i])} after ${JSON.stringify(stamps[i - 1])}`);

    // Stored as what it is: the HLC in the hlc_* columns, in the same order.
    const db = pgClient(url);
    t.teardown(() => db.close());
    const rows = await db.query('SELECT hlc_wall, hlc_logical, hlc_node FROM settings_deltas ORDER BY id');
    t.deepEqual(
      rows.map((r) => ({ wallMs: asNumber(r.hlc_wall), logical: asNumber(r.hlc_logical), node: asNumber(r.hlc_node) })),
      stamps,
    );
  },
);
