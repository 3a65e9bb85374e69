// Edge direction end to end, on the road network the issue names: `npm run import -- dimacs
// rome99.gr` (the real CLI, into a PostgreSQL store) and a node booted on that store. Shortest
// paths asked over the WebSocket equal a directed Dijkstra written here (one-way streets followed
// one way), and the request's `undirected` flag gives the undirected distances. Direction comes
// back in the HTTP edge list and in the graph broadcast of an edge added over the wire, and all of
// it survives a restart that recovers from a snapshot and the journal after it.
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import type { GraphEdgePage } from '../../src/gateway/ports.ts';
import { ROME99_GR } from '../../src/import/samples.ts';
import {
  AddEdgeT,
  EdgeT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  Payload,
  SsspRequestT,
  Topic,
  type EnvelopeT,
  type ErrorReplyT,
  type SsspResultT,
} from '../../src/protocol/index.ts';
import { openStoreOn, type Store } from '../../src/storage/open-store.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { run } from '../cli/spawn.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';
import { ReferenceGraph, type RefEdge } from '../sssp/support/reference.ts';

const SOURCES = [1, 1200, 2500, 3353];
/** An edge added over the wire after the import: node 1 -> node 3353, one way. */
const WIRE_EDGE = { id: 900_001n, source: 1, target: 3353, weight: 1 };

/** rome99 read here, not with the project's parser: its node ids and its arcs "a u v w", in file order. */
function readRome(): { nodes: number[]; arcs: RefEdge[] } {
  const arcs: RefEdge[] = [];
  let n = 0;
  for (const line of readFileSync(ROME99_GR, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'p') n = Number(f[2]);
    if (f[0] === 'a') arcs.push({ source: Number(f[1]), target: Number(f[2]), weight: Number(f[3]) });
  }
  return { nodes: Array.from({ length: n }, (_, i) => i + 1), arcs };
}

/** Distances by node id from a reference Dijkstra (test/sssp/support, nothing of src/sssp); unreachable nodes absent. */
function expected(graph: ReferenceGraph, nodes: readonly number[], source: number): Map<number, number> {
  const d = graph.dijkstra(source);
  const out = new Map<number, number>();
  nodes.forEach((id, k) => {
    if (d[k] !== Infinity) out.set(id, Math.fround(d[k]!));
  });
  return out;
}

interface World {
  node: RunningNode;
  store: Store;
  client: Client;
  base: string;
  token: string;
  /** Stops the node and closes its store (also at teardown, if the test did not). */
  stop(): Promise<void>;
}

async function boot(t: ExecutionContext, url: string, tokens: TokenAuthority, name: string): Promise<World> {
  const store = await openStoreOn(pgClient(url), url);
  const node = await bootNode({ name, host: '127.0.0.1', port: 0, store, tokens, shards: 1, physics: { engines: 'serial' } });
  const token = tokens.mint({ sub: `directed-${name}`, role: 'editor', ttlSeconds: 600 });
  const client = await Client.open(`ws://127.0.0.1:${node.address.port}/ws`);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.ws.terminate();
    await node.system.terminate();
    await store.close();
  };
  t.teardown(stop);
  client.send(new HandshakeT(token, 0, 0n, name, null));
  await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 10_000);
  return { node, store, client, base: `http://127.0.0.1:${node.address.port}`, token, stop };
}

/** The answer to one SsspRequest; retried while the SSSP actor has not loaded the graph yet. */
async function distances(
  w: World,
  source: number,
  undirected: boolean,
): Promise<{ distance: Map<number, number>; parent: Map<number, number> }> {
  for (let attempt = 0; ; attempt++) {
    const seq = w.client.send(new SsspRequestT(source, 0, [], undirected));
    await w.client.waitFor(() => w.client.envelopes.some((e) => Number(e.correlationId) === seq), 30_000);
    const answer = w.client.envelopes.find((e) => Number(e.correlationId) === seq)!;
    if (answer.payloadType === Payload.SsspResult) {
      const r = answer.payload as SsspResultT;
      return {
        distance: new Map(r.nodes.map((id, i) => [id, r.distances[i]!])),
        parent: new Map(r.nodes.map((id, i) => [id, r.parents[i]!])),
      };
    }
    const message = String((answer.payload as ErrorReplyT).message);
    // Just after a boot the SSSP actor may still be loading its snapshot of the graph.
    if (attempt > 100 || !/no graph|not in graph/.test(message)) throw new Error(`SSSP from ${source} refused: ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function edgeList(w: World): Promise<GraphEdgePage['edges']> {
  const res = await fetch(`${w.base}/api/graph/edges?offset=0&limit=100000`, { headers: { authorization: `Bearer ${w.token}` } });
  if (res.status !== 200) throw new Error(`edge list: HTTP ${res.status}`);
  return ((await res.json()) as GraphEdgePage).edges;
}

/** Every source's distances over the wire equal the reference's, both readings; parents are tight arcs of that reading. */
async function checkDistances(
  t: ExecutionContext,
  w: World,
  arcs: readonly RefEdge[],
  nodes: readonly number[],
  label: string,
): Promise<void> {
  const directed = new ReferenceGraph(nodes, arcs, false);
  const undirected = new ReferenceGraph(nodes, arcs, true);
  let differ = 0;
  for (const source of SOURCES) {
    for (const [reading, graph] of [
      ['directed', directed],
      ['undirected', undirected],
    ] as const) {
      const want = expected(graph, nodes, source);
      const got = await distances(w, source, reading === 'undirected');
      t.deepEqual(
        [...got.distance].sort((a, b) => a[0] - b[0]),
        [...want].sort((a, b) => a[0] - b[0]),
        `${label}: ${reading} distances from ${source}`,
      );
      // A parent is the tail of an arc of this reading that is tight: d(p) + w(p, v) = d(v).
      let loose = 0;
      for (const [v, p] of got.parent) {
        if (v === source) continue;
        const w8 = graph.arc(graph.position.get(p)!, graph.position.get(v)!);
        if (Math.fround(got.distance.get(p)! + w8) !== got.distance.get(v)) loose++;
      }
      t.is(loose, 0, `${label}: ${reading} parents from ${source} lie on shortest paths`);
    }
    const d = expected(directed, nodes, source);
    const u = expected(undirected, nodes, source);
    for (const id of nodes) if (d.get(id) !== u.get(id)) differ++;
  }
  // Otherwise the two readings would not tell a directed answer from an undirected one.
  t.true(differ > 1000, `${label}: ${differ} (source, node) pairs where one-way streets make a difference`);
}

test('rome99 imported by the CLI: distances over the wire follow one-way streets, the undirected flag ignores them, and both survive a restart', async (t) => {
  t.timeout(600_000);
  const { nodes, arcs } = readRome();
  t.is(arcs.length, 8870);
  const url = await throwawayDatabase((fn) => t.teardown(fn));
  // One shard, so that its 12,223 import events pass the 10,000 after which a shard snapshots:
  // the restart below then recovers from a snapshot and the journal after it.
  const imported = run(t, 'src/cli/import.ts', { DATABASE_URL: url, VF_DATA_DIR: '' }, ['dimacs', ROME99_GR, '--shards', '1']);
  t.is((await imported.exited).code, 0, imported.output());
  t.regex(imported.output(), /3353 nodes, 8870 edges/);

  const tokens = new TokenAuthority(KEY);
  const first = await boot(t, url, tokens, 'directed-first');
  await checkDistances(t, first, arcs, nodes, 'after the import');
  const listed = await edgeList(first);
  t.is(listed.length, 8870);
  t.true(
    listed.every((e) => e.directed),
    'the HTTP edge list says every arc is directed',
  );

  // An edge added over the wire keeps its direction: in the broadcast another client receives, in
  // the edge list, and in the distances.
  const watcher = await Client.open(`ws://127.0.0.1:${first.node.address.port}/ws`);
  t.teardown(() => watcher.ws.terminate());
  watcher.send(new HandshakeT(tokens.mint({ sub: 'watcher', role: 'viewer', ttlSeconds: 600 }), 0, 0n, 'watcher', null));
  await watcher.waitFor(() => watcher.of(Payload.HandshakeAccepted).length === 1, 10_000);
  watcher.subscribe(Topic.Graph);
  await new Promise((r) => setTimeout(r, 200));
  const e = WIRE_EDGE;
  const seq = first.client.send(
    new GraphBatchT([new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(e.id, e.source, e.target, null, e.weight, [], true)))]),
  );
  await first.client.waitFor(
    () => [...first.client.of(Payload.Ack), ...first.client.of(Payload.ErrorReply)].some((x) => Number(x.correlationId) === seq),
    15_000,
  );
  t.is(
    first.client.of(Payload.ErrorReply).find((x) => Number(x.correlationId) === seq),
    undefined,
  );
  const broadcastEdge = (): EdgeT | undefined => {
    const updates = (env: EnvelopeT): GraphUpdateT[] =>
      env.payloadType === Payload.GraphUpdate
        ? [env.payload as GraphUpdateT]
        : env.payloadType === Payload.GraphBatch
          ? (env.payload as GraphBatchT).updates
          : [];
    for (const env of watcher.envelopes) {
      for (const u of updates(env))
        if (u.opType === GraphOp.AddEdge && (u.op as AddEdgeT).edge?.id === e.id) return (u.op as AddEdgeT).edge!;
    }
    return undefined;
  };
  await watcher.waitFor(() => broadcastEdge() !== undefined, 15_000);
  t.true(broadcastEdge()!.directed, 'the graph broadcast carries the direction');
  t.true((await edgeList(first)).find((x) => x.id === String(e.id))?.directed === true);
  const withWireEdge = [...arcs, { source: e.source, target: e.target, weight: e.weight }];
  await checkDistances(t, first, withWireEdge, nodes, 'with the wire edge');
  await first.stop();

  // The restart recovers from a snapshot and the journal tail after it.
  const check = await openStoreOn(pgClient(url), url);
  const snapshots = await check.db.query<{ n: string }>('SELECT count(*) AS n FROM graph_snapshots');
  const tail = await check.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM graph_events WHERE unit > (SELECT max(unit_upto) FROM graph_snapshots)',
  );
  await check.close();
  t.true(Number(snapshots[0]!.n) >= 1, 'a snapshot was taken');
  t.true(Number(tail[0]!.n) >= 1, 'and events follow it in the journal');

  const second = await boot(t, url, tokens, 'directed-second');
  await checkDistances(t, second, withWireEdge, nodes, 'after a restart');
  const again = await edgeList(second);
  t.is(again.length, 8871);
  t.true(
    again.every((x) => x.directed),
    'direction survives the restart',
  );
});
