// The bundled agents' task handlers against a small graph served as the node's HTTP API serves it
// (edges paged two at a time here, so that paging is exercised): what they return, what they share.
import test from 'ava';
import { bundledAgent, SnapshotCache } from '../../src/bundled-agents/catalogue.ts';
import { GraphClient } from '../../src/bundled-agents/graph-client.ts';
import { TaskError, type AgentTask, type TaskContext } from '../../src/sdk/index.ts';
import { startGraphServer, type TestEdge, type TestNode } from './support/graph-server.ts';

const TOKEN = 'agent-token';

const NODES: TestNode[] = [
  { id: 1, title: 'Force layout', type: 'page' },
  { id: 2, title: 'Barnes-Hut', type: 'page' },
  { id: 3, title: 'Spring embedder', type: 'page' },
  { id: 4, title: 'Springs embedder', type: 'page', content: 'A stub.' },
  { id: 5, title: 'physics', type: 'tag' },
  { id: 10, title: 'b1', type: 'block', content: 'A force layout uses the Barnes-Hut approximation for repulsion.' },
  { id: 11, title: 'b2', type: 'block', content: 'Every spring embedder pulls linked nodes together. See [[Spring embedder]].' },
  { id: 12, title: 'b3', type: 'block', content: 'Force layout is fast. Layout forces move nodes. The weather is nice.' },
  { id: 20, title: 'Orphan page', type: 'page', content: 'Nobody links here.' },
];
const EDGES: TestEdge[] = [
  { source: 1, target: 10 },
  { source: 1, target: 11 },
  { source: 11, target: 12 },
  { source: 11, target: 3 },
  { source: 1, target: 5 },
  { source: 2, target: 3 },
  { source: 4, target: 2 },
];

interface Shared {
  topic: string;
  content: string;
  nodeIds: readonly number[];
}

function context(shared: Shared[], progress: number[]): TaskContext {
  return {
    agentId: 'test',
    signal: new AbortController().signal,
    progress: (p) => void progress.push(p),
    share: (topic, content, nodeIds) => void shared.push({ topic, content, nodeIds }),
    collaborate: () => undefined,
    useTokens: () => undefined,
  };
}

function task(capability: string, input: unknown): AgentTask {
  return {
    taskId: 't',
    agentId: 'test',
    parentTaskId: '',
    description: '',
    capability,
    input: JSON.stringify(input),
    priority: 0,
    deadlineMs: 0,
    attempt: 1,
  };
}

test('the linker proposes links from a page’s blocks and shares them per page', async (t) => {
  const { url } = await startGraphServer(t, NODES, EDGES, TOKEN);
  const client = new GraphClient({ baseUrl: url, token: TOKEN });
  const handler = bundledAgent('linker')!.handler(client, new SnapshotCache(client));
  const shared: Shared[] = [];
  const progress: number[] = [];
  const result = (await handler(task('link', { pages: [1, 999] }), context(shared, progress))) as {
    proposals: { from: number; to: number; title: string; excerpt: string }[];
    missing: number[];
  };
  t.deepEqual(
    result.proposals.map((p) => [p.from, p.to, p.title]),
    [[1, 2, 'Barnes-Hut']],
    'Spring embedder is linked already (by block b2); Force layout is the page itself',
  );
  t.regex(result.proposals[0]!.excerpt, /uses the Barnes-Hut approximation/);
  t.deepEqual(result.missing, [999]);
  t.is(shared.length, 1);
  t.is(shared[0]!.topic, 'Unlinked mentions in Force layout');
  t.deepEqual(shared[0]!.nodeIds, [1, 2]);
  t.is(progress.at(-1), 1);
  await t.throwsAsync(handler(task('link', { pages: 'all' }), context([], [])), { instanceOf: TaskError });
});

test('the summariser shares a TextRank summary of each page', async (t) => {
  const { url } = await startGraphServer(t, NODES, EDGES, TOKEN);
  const client = new GraphClient({ baseUrl: url, token: TOKEN });
  const handler = bundledAgent('summariser')!.handler(client, new SnapshotCache(client));
  const shared: Shared[] = [];
  const result = (await handler(task('summarise', { pages: [1] }), context(shared, []))) as {
    summaries: { page: number; summary: string[] }[];
  };
  t.is(result.summaries.length, 1);
  t.is(result.summaries[0]!.summary.length, 3);
  t.false(result.summaries[0]!.summary.includes('The weather is nice.'));
  t.is(shared[0]!.topic, 'Summary of Force layout');
  t.deepEqual(shared[0]!.nodeIds, [1]);
});

test('the curator reports orphans among the named pages, near-duplicates and single-use tags', async (t) => {
  const { url } = await startGraphServer(t, NODES, EDGES, TOKEN);
  const client = new GraphClient({ baseUrl: url, token: TOKEN });
  const handler = bundledAgent('curator')!.handler(client, new SnapshotCache(client));
  const shared: Shared[] = [];
  const result = (await handler(task('curate', { pages: [20] }), context(shared, []))) as {
    orphans: { id: number }[];
    nearDuplicates: { a: number; b: number }[];
    singleUseTags: { tag: string }[];
  };
  t.deepEqual(
    result.orphans.map((o) => o.id),
    [20],
  );
  t.deepEqual(
    result.nearDuplicates.map((d) => [d.a, d.b]),
    [[3, 4]],
  );
  t.deepEqual(
    result.singleUseTags.map((s) => s.tag),
    ['physics'],
  );
  t.is(shared.length, 1);
  t.is(shared[0]!.topic, 'Curation report');
  t.true(shared[0]!.nodeIds.includes(20));
});

test('every page is read from the node list: titles no edge touches are linked to, orphans found unnamed', async (t) => {
  const nodes: TestNode[] = [
    { id: 30, title: 'Graph drawing', type: 'page', content: 'Drawing builds on the Lonely idea of springs.' },
    { id: 31, title: 'Lonely idea', type: 'page' },
    { id: 32, title: 'Linked page', type: 'page' },
    { id: 33, title: 'Other page', type: 'page' },
    { id: 40, title: 'Lonely idea agent', type: 'agent' },
    { id: 41, title: 'Curation report', type: 'knowledge' },
  ];
  const { url, requests } = await startGraphServer(t, nodes, [{ source: 32, target: 33 }], TOKEN);
  const client = new GraphClient({ baseUrl: url, token: TOKEN });
  const snapshots = new SnapshotCache(client);
  const linked = (await bundledAgent('linker')!.handler(client, snapshots)(task('link', { pages: [30] }), context([], []))) as {
    proposals: { from: number; to: number }[];
  };
  t.deepEqual(
    linked.proposals.map((p) => [p.from, p.to]),
    [[30, 31]],
  );
  const curated = (await bundledAgent('curator')!.handler(client, snapshots)(task('curate', {}), context([], []))) as {
    orphans: { id: number }[];
    orphansAmong: string;
  };
  t.deepEqual(
    curated.orphans.map((o) => o.id),
    [30, 31],
    'the swarm’s own nodes (agents, knowledge) are no pages',
  );
  t.is(curated.orphansAmong, 'every page');
  t.is(requests.filter((r) => r === '/api/graph/nodes').length, 3, 'six nodes, listed two at a time, once for both tasks');
});

test('a graph read with the wrong token fails with the answer’s status', async (t) => {
  const { url } = await startGraphServer(t, NODES, EDGES, TOKEN);
  const client = new GraphClient({ baseUrl: url, token: 'wrong' });
  const handler = bundledAgent('linker')!.handler(client, new SnapshotCache(client));
  await t.throwsAsync(handler(task('link', { pages: [1] }), context([], [])), { message: /answered 401/ });
});
