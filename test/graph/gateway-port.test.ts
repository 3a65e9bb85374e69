// The gateway's GraphPort on the real graph subsystem (4 shards on the test PostgreSQL; the end to
// end test on in-memory PGlite): how acks and refusals map to GraphApplyResult, node, neighbours
// and search with their limits and ranking, the change stream (commit order, versions, origin,
// content updates, bounded and death-watched), and end to end through the real gateway with
// WebSocket and HTTP clients.
import test from 'ava';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { gateway, type GatewayMsg } from '../../src/actors/gateway.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import type { GraphApplyResult, GraphChanged } from '../../src/gateway/ports.ts';
import { graphPort } from '../../src/actors/graph-port.ts';
import { Partitioner } from '../../src/graph/partition.ts';
import type { AckT, ErrorReplyT, RemoveNodeT, UpdateNodeT } from '../../src/protocol/index.ts';
import {
  AddNodeT,
  EdgeT,
  ErrorCode,
  GraphBatchT,
  NodeKind,
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  NodeT,
  Payload,
  RemoveEdgeT,
  Topic,
} from '../../src/protocol/index.ts';
import { MAX_QUERY_LENGTH } from '../../src/graph/search.ts';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import {
  addEdge,
  addNode,
  applied,
  batch,
  collector,
  KeyValueT,
  node,
  one,
  ORIGIN,
  removeNode,
  setWeight,
  startPortGraph,
  updateNode,
  Vec3T,
} from '../fixtures/graph-port.ts';
import { Client, FakeFrames, KEY } from '../gateway/support.ts';
import { pollUntil } from '../helpers/poll.ts';

function okVersion(r: GraphApplyResult): number {
  if (!r.ok) throw new Error(`not ok: ${r.code}: ${r.message}`);
  return r.version;
}

// ---- apply ----------------------------------------------------------------------------------------

test('apply: ok with the committed version; the node reads back as a view, a removed one as absent', async (t) => {
  const g = await startPortGraph(t);
  const meta = node(1, 'Alpha', {
    type: 'doc',
    position: new Vec3T(1, 2, 3),
    metadata: [new KeyValueT('b', '2'), new KeyValueT('a', '1')],
  });
  const v1 = okVersion(await applied(g.port, one(addNode(meta)), ORIGIN));
  t.true(v1 > 0);
  t.deepEqual(await g.port.node(1), {
    id: 1,
    kind: 'knowledge',
    type: 'doc',
    title: 'Alpha',
    position: { x: 1, y: 2, z: 3 },
    metadata: { a: '1', b: '2' },
  });
  const v2 = okVersion(await applied(g.port, one(updateNode(node(1, 'Alpha 2'))), ORIGIN));
  t.is(v2, v1 + 1);
  t.is((await g.port.node(1))?.title, 'Alpha 2');
  t.deepEqual((await g.port.node(1))?.metadata, { a: '1', b: '2' }, 'an UpdateNode without metadata keeps it');
  // Re-applying the same value changes nothing: ok at the same version.
  t.is(okVersion(await applied(g.port, one(updateNode(node(1, 'Alpha 2'))), ORIGIN)), v2);
  okVersion(await applied(g.port, one(removeNode(1)), ORIGIN));
  t.is(await g.port.node(1), undefined, 'a tombstone is no node');
  t.is(await g.port.node(-1), undefined);
  t.is(await g.port.node(2 ** 32), undefined);
  t.is(await g.port.node(1.5), undefined);
});

test('apply: invalid and not-found refusals change nothing', async (t) => {
  const g = await startPortGraph(t);
  const invalid = [
    one(addNode(node(1, 'x'.repeat(2000)))), // title over 1024 bytes
    one(addNode(node(1, 'ok', { kind: 99 as NodeT['kind'] }))), // unknown kind
    one(addNode(node(1, 'ok', { position: new Vec3T(Number.NaN, 0, 0) }))),
    one(new GraphUpdateT(GraphOp.AddNode, new AddNodeT(null))), // no node
    one(new GraphUpdateT(GraphOp.NONE, null)),
    one(addNode(node(1, new TextEncoder().encode('bytes are fine') as unknown as string))),
    one(addNode(node(1, new Uint8Array([0xff, 0xfe]) as unknown as string))), // not UTF-8
    batch(),
    one(setWeight(5n, -1)),
  ];
  const results = await Promise.all(invalid.map((m) => applied(g.port, m, ORIGIN)));
  t.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.code)),
    ['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'ok', 'invalid', 'invalid', 'invalid'],
  );
  t.is((await g.port.node(1))?.title, 'bytes are fine', 'UTF-8 bytes in the object API read as their text');

  const missing = await applied(g.port, one(updateNode(node(42, 'nobody'))), ORIGIN);
  t.like(missing, { ok: false, code: 'not-found' });
  const endpoint = await applied(g.port, batch(addNode(node(5)), addEdge(1n, 5, 6)), ORIGIN);
  t.like(endpoint, { ok: false, code: 'not-found' });
  t.is(await g.port.node(5), undefined, 'the batch is all or nothing');
  t.is((await g.stats()).nodes, 1);
});

test('apply: conflicts come with what stands, as NodeT and EdgeT', async (t) => {
  const g = await startPortGraph(t);
  okVersion(await applied(g.port, batch(addNode(node(1, 'theirs')), addNode(node(2)), addNode(node(3)), addEdge(7n, 1, 2, 2)), ORIGIN));

  // A different node under an existing id (an AddNode is not an upsert).
  const nodeClash = await applied(g.port, one(addNode(node(1, 'mine'))), ORIGIN);
  t.like(nodeClash, { ok: false, code: 'conflict' });
  if (nodeClash.ok) return;
  t.true(nodeClash.current?.node instanceof NodeT);
  t.is(nodeClash.current?.node?.title, 'theirs');
  t.is(nodeClash.current?.node?.id, 1);
  t.true((nodeClash.current?.node?.lastModified ?? 0n) > 0n);

  // The same edge id between other nodes: refused by the router, the standing edge fetched.
  const edgeClash = await applied(g.port, batch(addNode(node(4)), addEdge(7n, 3, 4)), ORIGIN);
  t.like(edgeClash, { ok: false, code: 'conflict' });
  if (edgeClash.ok) return;
  t.true(edgeClash.current?.edge instanceof EdgeT);
  t.deepEqual(
    [edgeClash.current?.edge?.id, edgeClash.current?.edge?.source, edgeClash.current?.edge?.target, edgeClash.current?.edge?.weight],
    [7n, 1, 2, 2],
  );
  t.is(await g.port.node(4), undefined);

  // A different edge value under its id: the shard's LWW decision reports the winner.
  const edgeValue = await applied(g.port, one(addEdge(7n, 1, 2, 5)), ORIGIN);
  t.like(edgeValue, { ok: false, code: 'conflict' });
  if (!edgeValue.ok) t.is(edgeValue.current?.edge?.weight, 2);

  // A batch where one op loses and another applies: a conflict that says so.
  const mixed = await applied(g.port, batch(addNode(node(9, 'new')), addNode(node(2, 'clash'))), ORIGIN);
  t.like(mixed, { ok: false, code: 'conflict' });
  if (!mixed.ok) t.regex(mixed.message, /op 1 lost.*1 other op\(s\) applied/);
  t.is((await g.port.node(9))?.title, 'new');
});

test('apply: no router, or one that does not answer in time, is unavailable', async (t) => {
  const g = await startPortGraph(t, {}, { applyTimeoutMs: 50, queryTimeoutMs: 50 });
  const gone = graphPort(g.system, { routerPath: '/nowhere/router' });
  t.like(await applied(gone, one(addNode(node(1))), ORIGIN), { ok: false, code: 'unavailable' });
  await t.throwsAsync(gone.node(1), { name: 'RecipientUnavailableError' });

  g.system.faults.inject(g.parts.routerPath, { kind: 'stall', durationMs: 300, times: 1 });
  const slow = await applied(g.port, one(addNode(node(1))), ORIGIN);
  t.like(slow, { ok: false, code: 'unavailable' });
  if (!slow.ok) t.regex(slow.message, /may still be applied/);
});

// ---- queries --------------------------------------------------------------------------------------

test('neighbours: incoming and outgoing edges across shards, bounded, and absent for no node', async (t) => {
  const g = await startPortGraph(t, { shards: 4 });
  const p = new Partitioner(4);
  // Node 1's out-edges live on its shard; its in-edges live on the shards of 4, 5, 6.
  okVersion(
    await applied(
      g.port,
      batch(
        ...[1, 2, 3, 4, 5, 6, 7].map((i) => addNode(node(i, `n${i}`))),
        addEdge(10n, 1, 2),
        addEdge(11n, 1, 3),
        addEdge(12n, 4, 1),
        addEdge(13n, 5, 1),
        addEdge(14n, 6, 1),
        addEdge(15n, 1, 1), // a self-loop: not its own neighbour
        addEdge(16n, 2, 1), // a second edge to 2: listed once
        addEdge(17n, 6, 7), // not node 1's
      ),
      ORIGIN,
    ),
  );
  t.true(
    [4, 5, 6].some((n) => p.shardOfNode(n) !== p.shardOfNode(1)),
    "some in-edges live on shards other than node 1's",
  );
  const all = await g.port.neighbours(1, 100);
  t.deepEqual(all?.map((n) => n.id).sort(), [2, 3, 4, 5, 6]);
  t.deepEqual(
    all?.find((n) => n.id === 4),
    { id: 4, kind: 'knowledge', title: 'n4', position: all?.find((n) => n.id === 4)?.position },
  );
  t.deepEqual(
    (await g.port.neighbours(7, 10))?.map((n) => n.id),
    [6],
    'an incoming edge only',
  );
  t.is((await g.port.neighbours(1, 2))?.length, 2);
  t.deepEqual(await g.port.neighbours(1, 0), []);
  t.is(await g.port.neighbours(99, 10), undefined);
  t.is(await g.port.neighbours(8, 10), undefined);

  okVersion(await applied(g.port, one(removeNode(4)), ORIGIN));
  t.deepEqual((await g.port.neighbours(1, 100))?.map((n) => n.id).sort(), [2, 3, 5, 6], 'removing a node removes its edges');
  okVersion(await applied(g.port, one(new GraphUpdateT(GraphOp.RemoveEdge, new RemoveEdgeT(11n))), ORIGIN));
  t.deepEqual((await g.port.neighbours(1, 100))?.map((n) => n.id).sort(), [2, 5, 6]);
});

test('neighbours: at most 1000 whatever the limit asked', async (t) => {
  const g = await startPortGraph(t, { shards: 3 });
  const ops = [addNode(node(0, 'hub'))];
  for (let i = 1; i <= 1100; i++) ops.push(addNode(node(i)), i % 2 === 0 ? addEdge(BigInt(i), 0, i) : addEdge(BigInt(i), i, 0));
  okVersion(await applied(g.port, batch(...ops), ORIGIN));
  t.is((await g.port.neighbours(0, 10_000))?.length, 1000);
  t.is((await g.port.neighbours(0, 1000))?.length, 1000);
  t.is((await g.port.neighbours(0, 7))?.length, 7);
});

test('search: exact before prefix before substring, then shorter titles; case-insensitive; bounded', async (t) => {
  const g = await startPortGraph(t, { shards: 4 });
  const titles: [number, string][] = [
    [1, 'the alpha and omega'],
    [2, 'Alphabet'],
    [3, 'ALPHA'],
    [4, 'alphanumeric'],
    [5, 'beta'],
    [6, 'an alpha'],
    [7, 'Alpha'],
    [8, 'alpha'],
  ];
  okVersion(await applied(g.port, batch(...titles.map(([id, title]) => addNode(node(id, title))), addNode(node(9))), ORIGIN));
  const ids = async (q: string, limit = 20) => (await g.port.search(q, limit)).map((n) => n.id);
  t.deepEqual(await ids('alpha'), [3, 7, 8, 2, 4, 6, 1]);
  t.deepEqual(await ids('ALPHA', 3), [3, 7, 8]);
  t.deepEqual(await ids('ha'), [3, 7, 8, 2, 6, 4, 1], 'substring only: shorter first, then id');
  t.deepEqual(await ids('zzz'), []);
  t.deepEqual(await g.port.search('', 10), []);
  t.deepEqual(await g.port.search('alpha', 0), []);
  t.deepEqual((await g.port.search('beta', 10))[0], {
    id: 5,
    kind: 'knowledge',
    title: 'beta',
    position: (await g.port.node(5))?.position,
  });
  await t.throwsAsync(g.port.search('x'.repeat(MAX_QUERY_LENGTH + 1), 10), { instanceOf: RangeError });
  t.deepEqual(await ids('a'.repeat(MAX_QUERY_LENGTH)), []);
});

test('nodePage: every live node across the shards, page by page, of one type when asked, without content', async (t) => {
  const g = await startPortGraph(t, { shards: 4 });
  const nodes = Array.from({ length: 25 }, (_, i) => node(i + 1, `n${i + 1}`, { type: i % 5 === 0 ? 'page' : 'block', content: 'text' }));
  okVersion(await applied(g.port, batch(...nodes.map(addNode)), ORIGIN));
  okVersion(await applied(g.port, one(removeNode(2)), ORIGIN));
  const seen: number[] = [];
  let offset: number | undefined = 0;
  for (let pages = 0; offset !== undefined && pages < 10; pages++) {
    const page = await g.port.nodePage(offset, 7);
    t.is(page.total, 24);
    t.true(page.nodes.every((n) => n.content === undefined));
    seen.push(...page.nodes.map((n) => n.id));
    offset = page.next;
  }
  t.deepEqual(
    seen.sort((a, b) => a - b),
    Array.from({ length: 25 }, (_, i) => i + 1).filter((id) => id !== 2),
  );
  const pages = await g.port.nodePage(0, 1000, 'page');
  t.deepEqual(
    pages.nodes.map((n) => n.id).sort((a, b) => a - b),
    [1, 6, 11, 16, 21],
  );
  t.is(pages.next, undefined);
});

test('search: at most 1000 results, and the merge of the shards equals a search of the whole graph', async (t) => {
  const g = await startPortGraph(t, { shards: 4 });
  const titles = fc.sample(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B'), minLength: 1, maxLength: 6 }), {
    numRuns: 2000,
    seed: 7,
  });
  okVersion(await applied(g.port, batch(...titles.map((title, i) => addNode(node(i, title)))), ORIGIN));

  const reference = (q: string, limit: number): number[] => {
    const lq = q.toLowerCase();
    const rank = (s: string) => (s.toLowerCase() === lq ? 0 : s.toLowerCase().startsWith(lq) ? 1 : 2);
    return titles
      .map((title, id) => ({ id, title }))
      .filter((n) => n.title.toLowerCase().includes(lq))
      .sort((a, b) => rank(a.title) - rank(b.title) || a.title.length - b.title.length || a.id - b.id)
      .slice(0, limit)
      .map((n) => n.id);
  };
  t.true(reference('a', 5000).length > 1000);
  t.deepEqual(
    (await g.port.search('a', 5000)).map((n) => n.id),
    reference('a', 1000),
    'clamped to 1000',
  );
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'B'), minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 60 }),
      async (q, limit) => {
        const got = (await g.port.search(q, limit)).map((n) => n.id);
        t.deepEqual(got, reference(q, limit));
        return true;
      },
    ),
    { numRuns: 30, seed: 11 },
  );
});

// ---- the change stream ----------------------------------------------------------------------------

test('changes: one event per committed unit in commit order, with its version, origin and content', async (t) => {
  const g = await startPortGraph(t);
  const sub = collector();
  g.port.subscribe(sub);
  await g.stats(); // the router has taken the subscription

  const acks: number[] = [];
  acks.push(okVersion(await applied(g.port, one(addNode(node(1, 'one'))), { session: 's1', subject: 'a' })));
  acks.push(okVersion(await applied(g.port, batch(addNode(node(2, 'two')), addEdge(5n, 1, 2)), { session: 's2', subject: 'b' })));
  acks.push(
    okVersion(await applied(g.port, one(updateNode(node(1, 'renamed', { content: 'body text' }))), { session: 's1', subject: 'a' })),
  );
  okVersion(await applied(g.port, one(updateNode(node(1, 'renamed', { content: 'body text' }))), ORIGIN)); // unchanged: no event
  acks.push(okVersion(await applied(g.port, one(removeNode(2)), { session: 's3', subject: 'c' })));
  // Concurrent applies from many sessions: events arrive in version order.
  const concurrent = await Promise.all(
    Array.from({ length: 20 }, (_, i) => applied(g.port, one(addNode(node(100 + i))), { session: `c${i}`, subject: 'x' })),
  );
  acks.push(...concurrent.map(okVersion));

  await pollUntil(() => sub.seen.length === acks.length, { limitMs: 3_000, everyMs: 2, what: 'condition' });
  t.deepEqual(
    sub.seen.map((c) => c.version),
    [...acks].sort((a, b) => a - b),
  );
  for (let i = 1; i < sub.seen.length; i++) t.true(sub.seen[i]!.version > sub.seen[i - 1]!.version);
  t.deepEqual(
    sub.seen.slice(0, 4).map((c) => c.origin),
    ['s1', 's2', 's1', 's3'],
  );
  const byVersion = new Map(sub.seen.map((c) => [c.version, c]));
  for (const [i, v] of concurrent.entries()) t.is(byVersion.get(okVersion(v))?.origin, `c${i}`);

  const [added, pair, renamed, removed] = sub.seen as [GraphChanged, GraphChanged, GraphChanged, GraphChanged];
  t.is(added.change.kind, 'update');
  const addedNode = added.change.kind === 'update' ? ((added.change.update.op as AddNodeT).node as NodeT) : undefined;
  t.is(addedNode?.title, 'one');
  t.truthy(addedNode?.position, 'the committed value: the server seeded a position');
  t.is(pair.change.kind, 'batch');
  t.deepEqual(pair.change.kind === 'batch' ? pair.change.batch.updates.map((u) => u.opType) : [], [GraphOp.AddNode, GraphOp.AddEdge]);
  const title = renamed.change.kind === 'update' ? (renamed.change.update.op as UpdateNodeT).node : undefined;
  t.deepEqual(
    [renamed.change.kind === 'update' && renamed.change.update.opType, title?.title, title?.content],
    [GraphOp.UpdateNode, 'renamed', 'body text'],
  );
  t.true(removed.change.kind === 'batch' && removed.change.batch instanceof GraphBatchT);
  t.deepEqual(
    removed.change.kind === 'batch' ? removed.change.batch.updates.map((u) => [u.opType, (u.op as RemoveEdgeT | RemoveNodeT).id]) : [],
    [
      [GraphOp.RemoveEdge, 5n],
      [GraphOp.RemoveNode, 2],
    ],
    'the cascade as committed: its edges, then the node',
  );

  // What each op touched, for the gateway's per-client filters: the removed edge's ends, the removed node.
  t.deepEqual(pair.scopes, [
    { ids: [2], kinds: [NodeKind.Knowledge], adds: true },
    { ids: [1, 2], kinds: [NodeKind.Knowledge, NodeKind.Knowledge], adds: false },
  ]);
  t.deepEqual(removed.scopes, [
    { ids: [1, 2], kinds: [NodeKind.Knowledge, NodeKind.Knowledge], adds: false },
    { ids: [2], kinds: [NodeKind.Knowledge], adds: false },
  ]);

  g.port.unsubscribe(sub);
  await g.stats();
  okVersion(await applied(g.port, one(addNode(node(3))), ORIGIN));
  await g.stats();
  t.is(sub.seen.length, acks.length, 'nothing after unsubscribing');
  t.is(g.parts.changes.subscriberCount, 0);
});

test('changes: subscribers are bounded and death-watched', async (t) => {
  const g = await startPortGraph(t, { maxChangeSubscribers: 2 });
  const seen: GraphChanged[] = [];
  const listener: ActorFactory<GraphChanged> = () => ({ receive: (m) => void seen.push(m) });
  const a = g.system.spawn(listener, { name: 'listener-a' });
  const b = g.system.spawn(listener, { name: 'listener-b' });
  const c = collector('/test/third');
  g.port.subscribe(a);
  g.port.subscribe(a); // twice: one subscription
  g.port.subscribe(b);
  g.port.subscribe(c);
  await g.stats();
  t.is(g.parts.changes.subscriberCount, 2);
  t.is(g.parts.changes.refused, 1);
  okVersion(await applied(g.port, one(addNode(node(1))), ORIGIN));
  await pollUntil(() => seen.length === 2, { limitMs: 3_000, everyMs: 2, what: 'condition' });
  t.is(c.seen.length, 0);

  await g.system.stop(a);
  await pollUntil(() => g.parts.changes.subscriberCount === 1, { limitMs: 3_000, everyMs: 2, what: 'condition' });
  g.port.subscribe(c);
  await g.stats();
  t.is(g.parts.changes.subscriberCount, 2, 'the stopped subscriber made room');
});

test('changes: subscriptions survive a restart of the router', async (t) => {
  const g = await startPortGraph(t);
  const sub = collector();
  g.port.subscribe(sub);
  okVersion(await applied(g.port, one(addNode(node(1, 'before'))), ORIGIN));
  const restarts: string[] = [];
  g.system.events.subscribe((e) => {
    if (e.type === 'actor-restarted') restarts.push(e.path);
  });
  // The router rebuilds its directory from the shards; the hubs outlive it.
  g.system.faults.kill(g.parts.routerPath);
  await pollUntil(() => restarts.includes(g.parts.routerPath), { limitMs: 3_000, everyMs: 2, what: 'condition' });
  const v = okVersion(await applied(g.port, one(addNode(node(2, 'after'))), ORIGIN));
  await pollUntil(() => sub.seen.some((c) => c.version === v), { limitMs: 3_000, everyMs: 2, what: 'condition' });
  t.is((await g.port.node(1))?.title, 'before');
  t.is(g.parts.changes.subscriberCount, 1);
});

// ---- end to end through the gateway ---------------------------------------------------------------

test('end to end: a GraphUpdate over WebSocket is broadcast to every subscriber, then acked; searchable over HTTP; viewers are refused', async (t) => {
  const g = await startPortGraph(t, {}, {}, 'pglite');
  const tokens = new TokenAuthority(KEY, () => Date.now());
  const gw = g.system.spawn(
    gateway({
      host: '127.0.0.1',
      port: 0,
      tokens,
      registry: new Registry(),
      frames: new FakeFrames(),
      graph: g.port,
      settingsPath: '/nowhere',
    }),
    { name: 'gateway' },
  );
  const { port } = await g.system.ask<GatewayMsg, { port: number }>(gw, (replyTo) => ({ type: 'address', replyTo }), 5_000);
  const clients: Client[] = [];
  t.teardown(() => {
    for (const c of clients) c.ws.terminate();
  });
  const session = async (role: 'editor' | 'viewer', sub: string): Promise<Client> => {
    const c = await Client.open(`ws://127.0.0.1:${port}/ws`);
    clients.push(c);
    c.send(new HandshakeT(tokens.mint({ sub, role, ttlSeconds: 600 }), 0, 0n, 'test', null));
    await c.waitFor(() => c.of(Payload.HandshakeAccepted).length === 1);
    return c;
  };
  const a = await session('editor', 'alice');
  const b = await session('editor', 'bob');
  const v = await session('viewer', 'victor');
  b.subscribe(Topic.Graph);
  a.subscribe(Topic.Graph);
  await pollUntil(() => g.parts.changes.subscriberCount === 2, { limitMs: 3_000, everyMs: 2, what: 'condition' });

  const seq = a.send(addNode(node(4242, 'Quantum Entanglement', { content: 'spooky' })));
  await a.waitFor(() => a.of(Payload.Ack).length === 1);
  const ack = a.of(Payload.Ack)[0]!;
  t.is(Number(ack.correlationId), seq);
  const version = (ack.payload as AckT).version;
  t.true(version > 0n);

  await b.waitFor(() => b.of(Payload.GraphUpdate).length === 1);
  const change = b.of(Payload.GraphUpdate)[0]!;
  t.is(Number(change.correlationId), 0);
  const added = (change.payload as GraphUpdateT).op as AddNodeT;
  t.deepEqual([added.node?.id, added.node?.title, added.node?.content], [4242, 'Quantum Entanglement', 'spooky']);
  t.is((change.payload as GraphUpdateT).version, version);
  // The origin's own change reaches it in the stream too (correlation 0), just before its ack.
  t.deepEqual(
    a.envelopes
      .filter((e) => e.payloadType === Payload.GraphUpdate || e.payloadType === Payload.Ack)
      .map((e) => [e.payloadType, Number(e.correlationId)]),
    [
      [Payload.GraphUpdate, 0],
      [Payload.Ack, seq],
    ],
  );
  t.is((a.of(Payload.GraphUpdate)[0]!.payload as GraphUpdateT).version, version);

  const res = await fetch(`http://127.0.0.1:${port}/api/graph/search?q=entangle&limit=5`, {
    headers: { authorization: `Bearer ${tokens.mint({ sub: 'victor', role: 'viewer', ttlSeconds: 600 })}` },
  });
  t.is(res.status, 200);
  const body = (await res.json()) as { query: string; nodes: { id: number; title: string }[] };
  t.deepEqual(
    body.nodes.map((n) => [n.id, n.title]),
    [[4242, 'Quantum Entanglement']],
  );
  const nodeRes = await fetch(`http://127.0.0.1:${port}/api/graph/node/4242`, {
    headers: { authorization: `Bearer ${tokens.mint({ sub: 'v', role: 'viewer', ttlSeconds: 600 })}` },
  });
  t.like(await nodeRes.json(), { id: 4242, title: 'Quantum Entanglement', kind: 'knowledge' });

  // A conflict reaches the client as an error and what stands.
  const clash = a.send(addNode(node(4242, 'Mine')));
  const answers = () => a.envelopes.filter((e) => Number(e.correlationId) === clash);
  await a.waitFor(() => answers().length === 2);
  const [refusal, stands] = answers() as [(typeof a.envelopes)[number], (typeof a.envelopes)[number]];
  t.is((refusal.payload as ErrorReplyT).code, ErrorCode.Conflict);
  t.is(stands.payloadType, Payload.GraphUpdate);
  t.is(((stands.payload as GraphUpdateT).op as UpdateNodeT).node?.title, 'Quantum Entanglement');
  t.is((stands.payload as GraphUpdateT).version, version, 'what stands, at the version it stands at');

  const refused = v.send(addNode(node(7, 'viewer wrote this')));
  await v.waitFor(() => v.of(Payload.ErrorReply).length === 1);
  const err = v.of(Payload.ErrorReply)[0]!;
  t.is(Number(err.correlationId), refused);
  t.is((err.payload as ErrorReplyT).code, ErrorCode.Unauthorized);
  t.is(await g.port.node(7), undefined);
  t.is(b.of(Payload.GraphUpdate).length, 1, 'nothing else was broadcast');
});
