// The wire protocol as an outsider meets it: a client written against the generated code only
// (test/protocol/outsider/client.ts, following docs/protocol.md) connects to a whole node, as
// `npm start` runs it, and goes through the handshake, the position stream (id table, keyframe,
// its own dequantisation) and one shortest-path answer checked against a Dijkstra of its own.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode } from '../../src/cli/node.ts';
import { Payload, type AckT, type ErrorReplyT, type SsspResultT } from '../../src/protocol/generated/envelope_generated.ts';
import { ErrorCode } from '../../src/protocol/generated/error_generated.ts';
import {
  AddEdgeT,
  AddNodeT,
  EdgeT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  NodeKind,
  NodeT,
} from '../../src/protocol/generated/graph_generated.ts';
import { SsspRequestT } from '../../src/protocol/generated/sssp_generated.ts';
import { SubscribeT, Topic } from '../../src/protocol/generated/session_generated.ts';
import { memoryPgliteStore } from '../fixtures/graph-store.ts';
import { OutsiderClient, type Received } from './outsider/client.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const CLIENT_FILE = resolve(here, 'outsider/client.ts');
const GENERATED = resolve(root, 'src/protocol/generated');
const WAIT_MS = 20_000;

/** Every module specifier in a source file: static imports and re-exports, side-effect imports, import() and require(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]!));
}

test('the outsider client imports nothing of the project but the generated protocol code', (t) => {
  const source = readFileSync(CLIENT_FILE, 'utf8');
  const found = specifiers(source);
  t.true(found.length > 0, 'the import scan found nothing: the scan itself is broken');
  const offending = found.filter((spec) => {
    if (spec === 'flatbuffers' || spec === 'ws' || spec.startsWith('node:')) return false;
    if (!spec.startsWith('.')) return true; // another package
    const target = resolve(dirname(CLIENT_FILE), spec);
    const inside = relative(GENERATED, target);
    return inside === '' || inside.startsWith('..') || inside.startsWith(sep);
  });
  t.deepEqual(
    offending,
    [],
    `test/protocol/outsider/client.ts may import only src/protocol/generated, flatbuffers, ws and node: built-ins`,
  );
  t.true(
    found.some((spec) => spec.startsWith('.') && !relative(GENERATED, resolve(dirname(CLIENT_FILE), spec)).startsWith('..')),
    'the client uses the generated code',
  );
});

/** The test graph: ids, kinds, and edges [id, source, target, weight] (weights exact in float32). */
const NODES: readonly (readonly [number, NodeKind])[] = [
  [101, NodeKind.Knowledge],
  [102, NodeKind.Knowledge],
  [103, NodeKind.Knowledge],
  [104, NodeKind.Knowledge],
  [105, NodeKind.Knowledge],
  [106, NodeKind.Concept],
  [107, NodeKind.File], // no edges: never reached
];
const EDGES: readonly (readonly [bigint, number, number, number])[] = [
  [1n, 101, 102, 2],
  [2n, 102, 103, 5],
  [3n, 101, 104, 9],
  [4n, 104, 103, 1.5],
  [5n, 105, 104, 0.25], // stored 105 -> 104: reaching 105 from 101 follows it backwards
  [6n, 106, 105, 4],
  [7n, 102, 106, 20],
];

/** Shortest distances from `source` with every edge followed both ways: the edges are sent without `directed`, so undirected. */
function dijkstra(source: number): Map<number, number> {
  const dist = new Map<number, number>([[source, 0]]);
  const done = new Set<number>();
  for (;;) {
    let u: number | undefined;
    for (const [id, d] of dist) if (!done.has(id) && (u === undefined || d < dist.get(u)!)) u = id;
    if (u === undefined) return dist;
    done.add(u);
    for (const [, a, b, w] of EDGES) {
      const v = a === u ? b : b === u ? a : undefined;
      if (v === undefined) continue;
      const d = dist.get(u)! + w;
      if (d < (dist.get(v) ?? Infinity)) dist.set(v, d);
    }
  }
}

function weightBetween(a: number, b: number): number[] {
  return EDGES.filter(([, s, d]) => (s === a && d === b) || (s === b && d === a)).map(([, , , w]) => w);
}

test('an outsider client authenticates, decodes the position stream and checks a shortest-path answer', async (t) => {
  const store = await memoryPgliteStore();
  const tokens = new TokenAuthority(randomBytes(32));
  const node = await bootNode({ name: 'outsider', host: '127.0.0.1', port: 0, store, tokens, shards: 2, physics: { engines: 'serial' } });
  const clients: OutsiderClient[] = [];
  t.teardown(async () => {
    for (const c of clients) c.terminate();
    await node.system.terminate();
    await store.close();
  });
  const url = `ws://127.0.0.1:${node.address.port}/ws`;

  // A token signed with another key: the Handshake is refused with close code 1008.
  const stranger = await OutsiderClient.connect(url, WAIT_MS);
  clients.push(stranger);
  const forged = new TokenAuthority(randomBytes(32)).mint({ sub: 'mallory', role: 'admin', ttlSeconds: 600 });
  await t.throwsAsync(stranger.handshake(forged, 'stranger', WAIT_MS), {
    message: /handshake refused: 1008 unauthorized: bad token signature/,
  });

  // Handshake: the token in Handshake.token; HandshakeAccepted (seq 0) names the session.
  const client = await OutsiderClient.connect(url, WAIT_MS);
  clients.push(client);
  const accepted = await client.handshake(tokens.mint({ sub: 'outsider', role: 'editor', ttlSeconds: 600 }), 'outsider-test', WAIT_MS);
  t.regex(String(accepted.sessionId), /^[0-9a-f-]{36}$/);
  t.is(accepted.nextSeq, 1n);
  t.true(accepted.heartbeatMs > 0);
  const acceptedEnvelope = client.received.find((r) => r.type === Payload.HandshakeAccepted)!;
  t.is(acceptedEnvelope.seq, 0n);

  // Positions first (no answer when it succeeds), then the graph, acknowledged with its version.
  const subscribed = client.send({ type: Payload.Subscribe, payload: new SubscribeT(Topic.Positions, false, 0, null) });
  const updates = [
    ...NODES.map(([id, kind]) => new GraphUpdateT(GraphOp.AddNode, new AddNodeT(new NodeT(id, kind, null, `node ${id}`)))),
    ...EDGES.map(([id, s, d, w]) => new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(new EdgeT(id, s, d, null, w)))),
  ];
  const wrote = client.send({ type: Payload.GraphBatch, payload: new GraphBatchT(updates) });
  const ack = await client.waitFor(() => client.answersTo(wrote)[0], WAIT_MS, 'answer to the GraphBatch');
  t.is(ack.type, Payload.Ack, `the batch was refused: ${(ack.payload as ErrorReplyT | null)?.message}`);
  t.true((ack.payload as AckT).version > 0n);
  t.true(ack.seq >= 1n, 'replies are sequenced');
  t.deepEqual(client.answersTo(subscribed), [], 'a successful Subscribe is not answered');

  // The id table of the seven nodes, then a keyframe for it, decoded by the client itself.
  const ids = NODES.map(([id]) => id);
  await client.waitFor(
    () => (sameSet(client.view.ids, ids) && client.view.lastSeq >= 0 ? true : undefined),
    WAIT_MS,
    'id table and keyframe of the seven nodes',
  );
  const view = client.view;
  for (const [id, kind] of NODES) t.is(view.kinds[view.ids.indexOf(id)], kind, `kind of node ${id} in the id table`);
  const keyframes = client.frames.filter((f) => f.status === 'applied' && f.frame.kind === 'keyframe' && f.frame.epoch === view.epoch);
  t.true(keyframes.length >= 1);
  const keyframe = keyframes[0]!.frame;
  t.is(keyframe.tableSize, ids.length);
  t.is(keyframe.count, ids.length);
  // The layout is settling the new nodes: deltas follow the keyframe, applied on top of it.
  await client.waitFor(
    () =>
      client.frames.some((f) => f.status === 'applied' && f.frame.kind === 'delta' && f.frame.epoch === view.epoch) ? true : undefined,
    WAIT_MS,
    'a delta frame',
  );
  for (const { frame, status } of client.frames) {
    if (status !== 'applied') continue;
    for (let j = 0; j < frame.positions.length; j++) {
      const v = frame.positions[j]!;
      const axis = j % 3;
      t.true(Number.isFinite(v), `frame ${frame.seq}: a position is not finite`);
      t.true(
        v >= frame.box[axis]! && v <= frame.box[axis + 3]!,
        `frame ${frame.seq}: ${v} outside [${frame.box[axis]}, ${frame.box[axis + 3]}] on axis ${axis}`,
      );
    }
  }
  for (const id of ids) {
    const p = view.positionOf(id);
    t.truthy(p, `node ${id} has a position`);
    t.true(p!.every(Number.isFinite));
  }
  // A layout, not a heap: the nodes do not all sit on one point.
  t.true(new Set(ids.map((id) => view.positionOf(id)!.join(','))).size > 1);

  // Shortest paths from 101. The shortest-path actor learns of the graph shortly after the Ack:
  // until it has, the answer is NotFound, and the request is asked again.
  const source = 101;
  let result: SsspResultT | undefined;
  const deadline = Date.now() + WAIT_MS;
  while (result === undefined) {
    const asked = client.send({ type: Payload.SsspRequest, payload: new SsspRequestT(source, 0, []) });
    const answer: Received = await client.waitFor(() => client.answersTo(asked)[0], WAIT_MS, 'answer to the SsspRequest');
    if (answer.type === Payload.SsspResult) {
      const r = answer.payload as SsspResultT;
      if (r.nodes.length === ids.length - 1 || Date.now() > deadline) result = r;
    } else {
      const error = answer.payload as ErrorReplyT;
      if (error.code !== ErrorCode.NotFound || Date.now() > deadline)
        throw new Error(`SsspRequest answered ${Payload[answer.type]}: ${error.code} ${error.message}`);
    }
    if (result === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  const expected = dijkstra(source);
  t.is(result.source, source);
  t.true(result.complete);
  t.is(result.distances.length, result.nodes.length);
  t.is(result.parents.length, result.nodes.length);
  t.deepEqual(
    [...result.nodes].sort((a, b) => a - b),
    [...expected.keys()].sort((a, b) => a - b),
    'exactly the reachable nodes',
  );
  t.false(result.nodes.includes(107));
  t.is(result.nodes[0], source, 'the source comes first');
  result.nodes.forEach((id, i) => {
    t.is(result.distances[i], Math.fround(expected.get(id)!), `distance to ${id}`);
    const parent = result.parents[i]!;
    if (id === source) return t.is(parent, source, 'the source is its own parent');
    // The parent is the previous node on a shortest path: one edge away, at exactly that distance less.
    t.true(
      weightBetween(parent, id).some((w) => expected.get(parent)! + w === expected.get(id)),
      `parent ${parent} of ${id}`,
    );
  });

  // A source that is not in the graph: an ErrorReply with the request's seq as correlation_id.
  const unknown = client.send({ type: Payload.SsspRequest, payload: new SsspRequestT(999, 0, []) });
  const refusal = await client.waitFor(() => client.answersTo(unknown)[0], WAIT_MS, 'answer to the unknown source');
  t.is(refusal.type, Payload.ErrorReply);
  t.is((refusal.payload as ErrorReplyT).code, ErrorCode.NotFound);

  const applied = client.frames.filter((f) => f.status === 'applied');
  t.log(
    `${client.frames.length} frames (${applied.filter((f) => f.frame.kind === 'keyframe').length} keyframes, ${applied.filter((f) => f.frame.kind === 'delta').length} deltas applied)`,
  );
  t.deepEqual(client.problems, [], 'everything the server sent decoded by the documented layouts');
  await client.close(WAIT_MS);
  t.is(client.closed?.code, 1000);
});

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && b.every((x) => a.includes(x));
}
