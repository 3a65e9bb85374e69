// Clients rebuilding the graph from what a booted node sends them, as an outside client would: the
// change stream (its own changes included) in commit order, each change with its version and HLC,
// the sender's answers at their commit's place in it, HTTP reads that say which version they
// reflect; and conflicts settled by the clients' own clocks, last writer wins.
import test, { type ExecutionContext } from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import type { Hlc } from '../../src/crdt/hlc.ts';
import {
  encodeEnvelope,
  ErrorCode,
  GraphBatchT,
  GraphOp,
  HandshakeT,
  Payload,
  Topic,
  type AckT,
  type AddEdgeT,
  type GraphUpdateT,
  type AddNodeT,
  type EnvelopeT,
  type ErrorReplyT,
  type PayloadT,
  type RemoveEdgeT,
  type RemoveNodeT,
  type UpdateNodeT,
} from '../../src/protocol/index.ts';
import { addEdge, addNode, node, removeEdge, removeNode, updateNode } from '../fixtures/graph-port.ts';
import { memoryPgliteStore } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';

const WAIT_MS = 20_000;

async function startNode(t: ExecutionContext): Promise<{ node: RunningNode; tokens: TokenAuthority }> {
  const store = await memoryPgliteStore();
  const tokens = new TokenAuthority(KEY);
  const node = await bootNode({
    name: 'graph-stream',
    host: '127.0.0.1',
    port: 0,
    store,
    tokens,
    shards: 2,
    physics: { engines: 'serial' },
  });
  t.teardown(async () => {
    await node.system.terminate();
    await store.close();
  });
  return { node, tokens };
}

async function editor(t: ExecutionContext, node: RunningNode, tokens: TokenAuthority, sub: string): Promise<Client> {
  const c = await Client.open(`ws://127.0.0.1:${node.address.port}/ws`);
  t.teardown(() => c.ws.terminate());
  c.send(new HandshakeT(tokens.mint({ sub, role: 'editor', ttlSeconds: 600 }), 0, 0n, sub, null));
  await c.waitFor(() => c.of(Payload.HandshakeAccepted).length === 1, WAIT_MS);
  return c;
}

/** Sends with the client's HLC stamp in Envelope.hlc; returns the seq (the answers' correlation id). */
function sendStamped(c: Client, payload: PayloadT, hlc: Hlc, seq: number): number {
  c.ws.send(encodeEnvelope({ seq, hlc, payload }));
  return seq;
}

const answersTo = (c: Client, seq: number): EnvelopeT[] => c.envelopes.filter((e) => Number(e.correlationId) === seq);

async function getJson<T>(node: RunningNode, tokens: TokenAuthority, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${node.address.port}${path}`, {
    headers: { authorization: `Bearer ${tokens.mint({ sub: 'reader', role: 'viewer', ttlSeconds: 600 })}` },
  });
  return { status: res.status, body: (res.status === 200 ? await res.json() : undefined) as T };
}

/** A client's copy of the graph, built from its stream alone: node titles and edge endpoints. */
class Replica {
  readonly titles = new Map<number, string | null>();
  readonly edges = new Map<bigint, readonly [number, number]>();
  /** Versions of the changes applied, in the order they came. */
  readonly versions: bigint[] = [];

  apply(change: GraphUpdateT | GraphBatchT): void {
    this.versions.push(change.version);
    for (const u of change instanceof GraphBatchT ? change.updates : [change]) {
      switch (u.opType) {
        case GraphOp.AddNode:
        case GraphOp.UpdateNode: {
          const n = (u.op as AddNodeT | UpdateNodeT).node!;
          this.titles.set(n.id, typeof n.title === 'string' ? n.title : null);
          break;
        }
        case GraphOp.RemoveNode:
          this.titles.delete((u.op as RemoveNodeT).id);
          break;
        case GraphOp.AddEdge: {
          const e = (u.op as AddEdgeT).edge!;
          this.edges.set(e.id, [e.source, e.target]);
          break;
        }
        case GraphOp.RemoveEdge:
          this.edges.delete((u.op as RemoveEdgeT).id);
          break;
        default:
          break;
      }
    }
  }
}

test('two editors hammering one node and its edges each rebuild exactly the committed graph from their own stream, acks in commit order', async (t) => {
  const { node: running, tokens } = await startNode(t);
  const a = await editor(t, running, tokens, 'alice');
  const b = await editor(t, running, tokens, 'bob');
  // A write answered after the subscription reached the graph (one session's messages keep their
  // order): an absent node's removal changes nothing and is answered at once.
  for (const c of [a, b]) {
    c.subscribe(Topic.Graph);
    const probe = c.send(removeNode(999_999));
    await c.waitFor(() => answersTo(c, probe).length === 1, WAIT_MS);
  }
  const setup = a.send(new GraphBatchT([1, 2, 3, 4, 5, 6].map((id) => addNode(node(id, `n${id}`)))));
  await a.waitFor(() => answersTo(a, setup).some((e) => e.payloadType === Payload.Ack), WAIT_MS);

  // Each sends its ten renames of node 1 and its edge changes without waiting; bob removes node 6
  // (and so its edges) half-way and adds it back later, while alice keeps linking to it.
  const sent = new Map<Client, Map<number, GraphUpdateT>>([
    [a, new Map()],
    [b, new Map()],
  ]);
  const send = (c: Client, u: GraphUpdateT): void => void sent.get(c)!.set(c.send(u), u);
  for (let i = 0; i < 10; i++) {
    send(a, updateNode(node(1, `alice ${i}`)));
    send(a, addEdge(BigInt(100 + i), 1, 2 + (i % 5)));
    if (i >= 2) send(a, removeEdge(BigInt(100 + i - 2)));
    send(b, updateNode(node(1, `bob ${i}`)));
    send(b, addEdge(BigInt(200 + i), 2 + ((i + 2) % 5), 1));
    if (i >= 3) send(b, removeEdge(BigInt(200 + i - 3)));
    if (i === 5) send(b, removeNode(6));
    if (i === 7) send(b, addNode(node(6, 'n6 again')));
  }
  const answered = (c: Client): boolean => [...sent.get(c)!.keys()].every((seq) => answersTo(c, seq).length > 0);
  await a.waitFor(() => answered(a) && answered(b), WAIT_MS);

  const edges = await getJson<{ edges: { id: string; source: number; target: number }[]; next?: number; version: number }>(
    running,
    tokens,
    '/api/graph/edges?limit=100000',
  );
  const committed = edges.body.version;
  // The other editor's last change may still be on its way to each of them.
  const streamed = (c: Client): bigint =>
    c.envelopes.reduce(
      (v, e) =>
        e.payloadType === Payload.GraphUpdate || e.payloadType === Payload.GraphBatch
          ? (e.payload as GraphUpdateT | GraphBatchT).version
          : v,
      0n,
    );
  await a.waitFor(() => streamed(a) >= BigInt(committed) && streamed(b) >= BigInt(committed), WAIT_MS);
  const titles = new Map<number, string | null>();
  for (let id = 1; id <= 6; id++) {
    const r = await getJson<{ title?: string; version: number }>(running, tokens, `/api/graph/node/${id}`);
    if (r.status === 200) titles.set(id, r.body.title ?? null);
    if (r.status === 200) t.is(r.body.version, committed, 'nothing committed between the reads');
  }

  for (const [name, c] of [
    ['alice', a],
    ['bob', b],
  ] as const) {
    const replica = new Replica();
    const mine = sent.get(c)!;
    let last = 0n;
    for (const env of c.envelopes) {
      const seq = Number(env.correlationId);
      if ((env.payloadType === Payload.GraphUpdate || env.payloadType === Payload.GraphBatch) && seq === 0) {
        const change = env.payload as GraphUpdateT | GraphBatchT;
        t.true(change.version > last, `${name}: versions strictly increase (${change.version} after ${last})`);
        last = change.version;
        t.truthy(env.hlc, `${name}: every change carries its commit's HLC`);
        replica.apply(change);
        continue;
      }
      const u = mine.get(seq);
      if (u === undefined || env.payloadType !== Payload.Ack) continue;
      // Its answer sits at its commit's place: after its change, before any later one.
      const version = (env.payload as AckT).version;
      t.is(version, last, `${name}: the ack of seq ${seq} comes right after version ${version}`);
      if (u.opType === GraphOp.UpdateNode)
        t.is(replica.titles.get(1), (u.op as UpdateNodeT).node!.title as string, `${name}: its rename stands when acked`);
      if (u.opType === GraphOp.AddEdge) t.true(replica.edges.has((u.op as AddEdgeT).edge!.id), `${name}: its edge is there when acked`);
      if (u.opType === GraphOp.RemoveEdge) t.false(replica.edges.has((u.op as RemoveEdgeT).id), `${name}: its edge is gone when acked`);
    }
    t.is(last, BigInt(committed), `${name}: its stream reaches the version HTTP reports`);
    t.deepEqual(replica.titles, titles, `${name}: nodes as committed`);
    t.deepEqual(
      [...replica.edges].map(([id, [s, d]]) => `${id}:${s}->${d}`).sort(),
      edges.body.edges.map((e) => `${e.id}:${e.source}->${e.target}`).sort(),
      `${name}: edges as committed`,
    );
    for (const [id, [s, d]] of replica.edges) t.true(replica.titles.has(s) && replica.titles.has(d), `${name}: edge ${id} dangles`);
  }
});

test("last writer wins on the clients' clocks: an older stamp loses with the winning value, a stamp too far ahead is refused", async (t) => {
  const { node: running, tokens } = await startNode(t);
  const a = await editor(t, running, tokens, 'alice');
  const c = await editor(t, running, tokens, 'carol');
  a.subscribe(Topic.Graph);
  const added = a.send(addNode(node(7, 'first')));
  await a.waitFor(() => answersTo(a, added).some((e) => e.payloadType === Payload.Ack), WAIT_MS);

  // Alice's edit, stamped by her clock now: applied, and her stamp is the change's HLC.
  const aliceStamp: Hlc = { wallMs: Date.now(), logical: 0, node: 2 };
  const current = sendStamped(a, updateNode(node(7, 'current')), aliceStamp, 100);
  await a.waitFor(() => answersTo(a, current).some((e) => e.payloadType === Payload.Ack), WAIT_MS);
  const version = (answersTo(a, current).find((e) => e.payloadType === Payload.Ack)!.payload as AckT).version;
  const own = a.envelopes.find((e) => e.payloadType === Payload.GraphUpdate && (e.payload as GraphUpdateT).version === version)!;
  t.deepEqual([own.hlc?.wallMs, own.hlc?.logical, own.hlc?.node], [BigInt(aliceStamp.wallMs), 0, 2]);

  // Carol's edits stamped 5 s before Alice's: every one loses, answered with what stands.
  for (let i = 0; i < 10; i++) {
    const stale = sendStamped(c, updateNode(node(7, `stale ${i}`)), { wallMs: aliceStamp.wallMs - 5_000, logical: i, node: 3 }, 200 + i);
    await c.waitFor(() => answersTo(c, stale).length === 2, WAIT_MS);
    const [refusal, stands] = answersTo(c, stale) as [EnvelopeT, EnvelopeT];
    t.is((refusal.payload as ErrorReplyT).code, ErrorCode.Conflict, `stale edit ${i}`);
    t.is(stands.payloadType, Payload.GraphUpdate);
    const winner = stands.payload as GraphUpdateT;
    t.is((winner.op as UpdateNodeT).node!.title, 'current');
    t.is(winner.version, version, 'what stands, at the version it stands at');
    t.deepEqual([stands.hlc?.wallMs, stands.hlc?.node], [BigInt(aliceStamp.wallMs), 2], "with the winning write's stamp");
  }

  // Ten minutes ahead of the server's clock: refused, with a reason a person can act on.
  const ahead = sendStamped(c, updateNode(node(7, 'from the future')), { wallMs: Date.now() + 600_000, logical: 0, node: 3 }, 300);
  await c.waitFor(() => answersTo(c, ahead).length === 1, WAIT_MS);
  const skew = answersTo(c, ahead)[0]!.payload as ErrorReplyT;
  t.is(skew.code, ErrorCode.BadMessage);
  t.regex(String(skew.message), /clock skew: .*ahead of the server's clock.*at most 60000 ms/);

  const read = await getJson<{ title: string; version: number }>(running, tokens, '/api/graph/node/7');
  t.deepEqual([read.body.title, read.body.version], ['current', Number(version)], 'neither the stale nor the future edit took');

  // Once Carol's clock has merged Alice's stamp, her next edit is newer and wins.
  const fresh = sendStamped(c, updateNode(node(7, 'carol')), { wallMs: aliceStamp.wallMs, logical: 1, node: 3 }, 400);
  await c.waitFor(() => answersTo(c, fresh).some((e) => e.payloadType === Payload.Ack), WAIT_MS);
  t.is((await getJson<{ title: string }>(running, tokens, '/api/graph/node/7')).body.title, 'carol');

  // A stamped batch that adds a node and then renames it applies in order.
  const both = sendStamped(
    c,
    new GraphBatchT([addNode(node(8, 'new')), updateNode(node(8, 'renamed'))]),
    { wallMs: Date.now(), logical: 0, node: 3 },
    500,
  );
  await c.waitFor(() => answersTo(c, both).length > 0, WAIT_MS);
  t.is(answersTo(c, both)[0]!.payloadType, Payload.Ack);
  t.is((await getJson<{ title: string }>(running, tokens, '/api/graph/node/8')).body.title, 'renamed');
});
