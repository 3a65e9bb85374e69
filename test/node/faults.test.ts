// Faults injected into a booted node as an operator would, through POST /api/faults, while
// WebSocket clients write: a stalled graph shard holds back only the writes that touch it and
// /readyz names it meanwhile; a shard that keeps failing is named by /readyz and in the errors its
// writers get, while the other shards serve; /readyz turns 503, with the reasons, when the graph
// cannot commit or no physics engine runs, and /healthz stays 200 throughout (liveness only).
import test, { type ExecutionContext } from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import { Partitioner } from '../../src/graph/partition.ts';
import { HandshakeT, Payload, type ErrorReplyT } from '../../src/protocol/index.ts';
import type { RuntimeEvent } from '../../src/runtime/events.ts';
import { openStoreOn } from '../../src/storage/open-store.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { addNode, batch, node, updateNode } from '../fixtures/graph-port.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';

const SHARDS = 4;
const NODES = 120;
const partitioner = new Partitioner(SHARDS);
const tokens = new TokenAuthority(KEY);
const admin = tokens.mint({ sub: 'ops', role: 'admin', ttlSeconds: 600 });

interface Readiness {
  readonly ready: boolean;
  readonly subsystems: Record<string, { readonly state: string; readonly reasons: readonly string[] }>;
}

async function boot(t: ExecutionContext): Promise<{ node: RunningNode; base: string; events: RuntimeEvent[] }> {
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_faults');
  const store = await openStoreOn(pgClient(url), url, { groupCommit: { partTimeoutMs: 1_000 } });
  const node = await bootNode({
    name: 'faults',
    host: '127.0.0.1',
    port: 0,
    store,
    tokens,
    shards: SHARDS,
    physics: { engines: 'serial' },
  });
  t.teardown(async () => {
    await node.system.terminate();
    await store.close();
  });
  const events: RuntimeEvent[] = [];
  node.system.events.subscribe((e) => {
    if (e.type === 'actor-failed' || e.type === 'actor-restarted' || e.type === 'fault-injected' || e.type === 'restart-intensity-exceeded')
      events.push(e);
  });
  return { node, base: `http://127.0.0.1:${node.address.port}`, events };
}

async function editor(t: ExecutionContext, running: RunningNode): Promise<Client> {
  const c = await Client.open(`ws://127.0.0.1:${running.address.port}/ws`);
  t.teardown(() => c.ws.terminate());
  c.send(new HandshakeT(tokens.mint({ sub: 'writer', role: 'editor', ttlSeconds: 600 }), 0, 0n, 'faults', null));
  await c.waitFor(() => c.of(Payload.HandshakeAccepted).length === 1, 20_000);
  return c;
}

async function inject(base: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${base}/api/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (res.status !== 200) throw new Error(`POST /api/faults: ${res.status} ${await res.text()}`);
}

async function readyz(base: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

interface Sent {
  readonly seq: number;
  readonly id: number;
  readonly shard: number;
  readonly at: number;
}

/** Writes from `clients` (a few in flight each) for `ms`; returns each write and its answer. */
async function writeLoad(
  clients: readonly Client[],
  ms: number,
): Promise<{ sent: Sent[]; answer: (s: Sent) => { ok: boolean; message: string } | undefined }> {
  const sent: Sent[] = [];
  const byClient = new Map<Sent, Client>();
  const end = performance.now() + ms;
  let n = 0;
  const answered = (c: Client, seq: number): boolean =>
    c.envelopes.some((e) => Number(e.correlationId) === seq && (e.payloadType === Payload.Ack || e.payloadType === Payload.ErrorReply));
  await Promise.all(
    clients.map(async (c, k) => {
      const mine: number[] = [];
      while (performance.now() < end) {
        // One write per turn keeps each client under the gateway's rate limit (200 messages a
        // second): a dropped write is refused for the rate, which says nothing of the shards.
        if (mine.length < 4) {
          const id = (k * 31 + n++ * 7) % NODES;
          const seq = c.send(updateNode(node(id, `t${n}`)));
          const s = { seq, id, shard: partitioner.shardOfNode(id), at: performance.now() };
          sent.push(s);
          byClient.set(s, c);
          mine.push(seq);
        }
        await new Promise((r) => setTimeout(r, 8));
        for (let i = mine.length - 1; i >= 0; i--) if (answered(c, mine[i]!)) mine.splice(i, 1);
      }
      await c.waitFor(() => mine.every((seq) => answered(c, seq)), 20_000);
    }),
  );
  return {
    sent,
    answer: (s) => {
      const env = byClient
        .get(s)!
        .envelopes.find(
          (e) => Number(e.correlationId) === s.seq && (e.payloadType === Payload.Ack || e.payloadType === Payload.ErrorReply),
        );
      if (env === undefined) return undefined;
      return env.payloadType === Payload.Ack
        ? { ok: true, message: '' }
        : { ok: false, message: String((env.payload as ErrorReplyT).message) };
    },
  };
}

async function preload(t: ExecutionContext, running: RunningNode): Promise<Client[]> {
  const clients = [await editor(t, running), await editor(t, running)];
  const all = batch(...Array.from({ length: NODES }, (_, id) => addNode(node(id, `n${id}`))));
  if (all.kind !== 'batch') throw new Error('expected a batch');
  const seq = clients[0]!.send(all.batch);
  await clients[0]!.waitFor(() => clients[0]!.of(Payload.Ack).some((e) => Number(e.correlationId) === seq), 20_000);
  return clients;
}

test('POST /api/faults stalls a shard under write load: only its writes wait, /readyz names it meanwhile, nothing restarts, all serve within 1 s of the end', async (t) => {
  t.timeout(120_000);
  const { node: running, base, events } = await boot(t);
  const clients = await preload(t, running);
  const STALL_MS = 1_800;
  const stalled = 1;
  const reports: Readiness[] = [];
  const load = writeLoad(clients, 5_000);
  await new Promise((r) => setTimeout(r, 700));
  const injectedAt = performance.now();
  await inject(base, { path: `/app/graph/core/shard-${stalled}`, kind: 'stall', durationMs: STALL_MS });
  const poll = (async () => {
    while (performance.now() < injectedAt + STALL_MS) {
      const r = await readyz(base);
      t.is(r.status, 200, 'a stalled shard degrades the graph; the node stays ready');
      reports.push(r.body);
      await new Promise((r2) => setTimeout(r2, 100));
    }
  })();
  const { sent, answer } = await load;
  await poll;
  const stallStart = (events.find((e) => e.type === 'fault-injected') as { time: number } | undefined)?.time ?? injectedAt;
  const stallEnd = stallStart + STALL_MS;
  const healthy = sent.filter((s) => s.shard !== stalled && s.at >= stallStart && s.at < stallEnd);
  const healthyOk = healthy.filter((s) => answer(s)?.ok === true).length;
  t.true(
    healthy.length >= 20 && healthyOk >= 0.99 * healthy.length,
    `writes to healthy shards that succeeded during the stall: ${healthyOk}/${healthy.length}`,
  );
  for (const s of sent) {
    const a = answer(s);
    if (a !== undefined && !a.ok)
      t.regex(a.message, new RegExp(`shard ${stalled}\\b`), `a failed write names the stalled shard (write to shard ${s.shard})`);
  }
  const after = sent.filter((s) => s.at >= stallEnd + 1_000);
  t.true(after.length > 0 && after.every((s) => answer(s)?.ok === true), 'every write from 1 s after the stall succeeded');
  const named = reports.filter(
    (r) => r.subsystems.graph?.state === 'degraded' && r.subsystems.graph.reasons.some((x) => x.includes(`graph shard ${stalled}`)),
  );
  t.true(named.length > 0, `/readyz named the stalled shard: ${JSON.stringify(reports.at(-1))}`);
  t.deepEqual(
    events.filter((e) => e.type !== 'fault-injected').map((e) => e.type),
    [],
    'nothing failed or restarted',
  );
  const end = await readyz(base);
  t.is(end.body.subsystems.graph?.state, 'serving');
});

test('POST /api/faults makes a shard fail over and over: the others serve, its writers are told which shard, /readyz and the status page name it', async (t) => {
  t.timeout(120_000);
  const { node: running, base, events } = await boot(t);
  const clients = await preload(t, running);
  const failing = 2;
  await inject(base, { path: `/app/graph/core/shard-${failing}`, kind: 'throw', times: 1_000 });
  const { sent, answer } = await writeLoad(clients, 3_000);
  const healthy = sent.filter((s) => s.shard !== failing);
  const healthyOk = healthy.filter((s) => answer(s)?.ok === true).length;
  t.true(
    healthy.length >= 50 && healthyOk >= 0.99 * healthy.length,
    `writes to the other shards that succeeded: ${healthyOk}/${healthy.length}`,
  );
  const refusals = sent
    .filter((s) => s.shard === failing)
    .map(answer)
    .filter((a) => a !== undefined && !a.ok);
  t.true(
    refusals.length > 0 && refusals.every((a) => a!.message.includes(`shard ${failing}`)),
    `refusals name the shard: ${refusals[0]?.message}`,
  );
  const r = await readyz(base);
  t.is(r.status, 200);
  t.is(r.body.subsystems.graph?.state, 'degraded');
  t.regex(
    r.body.subsystems.graph!.reasons.join(' '),
    new RegExp(`graph shard ${failing} \\(/app/graph/core/shard-${failing}\\) is restarting after \\d+ failures`),
  );
  const status = await fetch(`${base}/status?token=${admin}`);
  t.regex(await status.text(), /Readiness[\s\S]*fetch\('\/readyz'\)/, 'the status page shows readiness');
  t.false(
    events.some((e) => e.type === 'restart-intensity-exceeded'),
    'nothing escalated',
  );
  t.true(
    events.filter((e) => e.type === 'actor-failed').every((e) => 'path' in e && e.path === `/app/graph/core/shard-${failing}`),
    'only that shard failed',
  );
});

test('/readyz is 503 with the reasons when the graph cannot commit or no physics engine runs; /healthz stays 200', async (t) => {
  t.timeout(120_000);
  const { node: running, base } = await boot(t);
  // Not ready until the graph's router has recovered and every actor started.
  let ok = await readyz(base);
  for (let i = 0; i < 400 && ok.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
    ok = await readyz(base);
  }
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.deepEqual(Object.fromEntries(Object.entries(ok.body.subsystems).map(([k, v]) => [k, v.state])), {
    graph: 'serving',
    store: 'serving',
    physics: 'serving',
  });

  // Every shard fails on every message: the graph cannot commit at all.
  for (let s = 0; s < SHARDS; s++) await inject(base, { path: `/app/graph/core/shard-${s}`, kind: 'throw', times: 1_000 });
  const c = await editor(t, running);
  for (let i = 0; i < 8; i++) c.send(addNode(node(1_000 + i)));
  let down: { status: number; body: Readiness } | undefined;
  for (let i = 0; i < 100 && down?.body.subsystems.graph?.state !== 'down'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    for (let k = 0; k < 4; k++) c.send(addNode(node(2_000 + i * 4 + k)));
    down = await readyz(base);
  }
  t.is(down!.status, 503);
  t.is(down!.body.subsystems.graph?.state, 'down', JSON.stringify(down!.body));
  t.is(down!.body.subsystems.graph!.reasons.length, SHARDS, 'each shard is named');
  t.is((await fetch(`${base}/healthz`)).status, 200, 'liveness is not readiness');
  for (let s = 0; s < SHARDS; s++) running.system.faults.clear(`/app/graph/core/shard-${s}`);
  for (let i = 0; (await readyz(base)).status !== 200; i++) {
    if (i > 400) return t.fail('the graph did not come back');
    await new Promise((r) => setTimeout(r, 50));
  }

  // The physics engine fails at every step: down (503), naming it, until it runs again.
  await inject(base, { path: '/app/compute/physics/engine', kind: 'throw', times: 1_000 });
  const seq = c.send(addNode(node(3_000)));
  await c.waitFor(() => c.envelopes.some((e) => Number(e.correlationId) === seq), 10_000);
  let noEngine: { status: number; body: Readiness } | undefined;
  for (let i = 0; i < 200 && noEngine?.body.subsystems.physics?.state !== 'down'; i++) {
    noEngine = await readyz(base);
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(noEngine!.status, 503);
  t.regex(noEngine!.body.subsystems.physics!.reasons.join(' '), /\/app\/compute\/physics\/engine is not running/);
  running.system.faults.clear('/app/compute/physics/engine');
  for (let i = 0; i < 400; i++) {
    const r = await readyz(base);
    if (r.body.subsystems.physics?.state === 'serving') return t.pass();
    await new Promise((r2) => setTimeout(r2, 50));
  }
  t.fail('the physics engine did not come back');
});
