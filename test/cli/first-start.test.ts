// The first start as a newcomer meets it, through the real processes: `npm start` on an empty data
// folder imports the Logseq documentation graph before printing the URL, and the graph behind that
// URL holds it (checked over the HTTP API against what the importer reads from samples/); a second
// start on the same folder imports nothing. VF_DEMO=0 starts empty; a store whose graph was emptied,
// or that `npm run import` filled, is never given the example.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { markdownSource } from '../../src/import/markdown.ts';
import { LOGSEQ_DOCS, ROME99_GR } from '../../src/import/samples.ts';
import { GraphBatchT, HandshakeT, Payload, type ErrorReplyT, type GraphUpdateT } from '../../src/protocol/index.ts';
import { addNode, node, removeNode } from '../fixtures/graph-port.ts';
import { Client } from '../gateway/support.ts';
import { run, stop, waitForOutput, type Run } from './spawn.ts';

const IMPORTED = /imported the Logseq documentation graph/;

interface Started {
  readonly r: Run;
  readonly origin: string;
  readonly token: string;
  /** Milliseconds from spawn to the printed URL. */
  readonly readyMs: number;
}

function dataFolder(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vf-first-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'pglite');
}

async function start(t: ExecutionContext, dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const t0 = Date.now();
  const r = run(t, 'src/cli/start.ts', { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', VF_DATA_DIR: dataDir, DATABASE_URL: '', ...env });
  // A fresh folder means a PGlite initdb (about 7 s alone, more on a busy machine) and then the
  // import: a wait for readiness, not a time target.
  const [, url] = await waitForOutput(r, /Open (http:\/\/\S+)/, 150_000);
  const parsed = new URL(url!);
  return { r, origin: parsed.origin, token: parsed.searchParams.get('token') ?? '', readyMs: Date.now() - t0 };
}

async function api<T>(s: Started, path: string): Promise<T> {
  const res = await fetch(`${s.origin}${path}`, { headers: { authorization: `Bearer ${s.token}` }, signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface EdgePage {
  readonly total: number;
  readonly edges: readonly { readonly source: number; readonly target: number }[];
  readonly next?: number;
}

/** The graph as the HTTP API shows it: edge count and the nodes that edges join. */
async function graphSeen(s: Started): Promise<{ edges: number; endpoints: Set<number> }> {
  const endpoints = new Set<number>();
  let total = 0;
  for (let offset: number | undefined = 0; offset !== undefined;) {
    const page: EdgePage = await api<EdgePage>(s, `/api/graph/edges?offset=${offset}&limit=100000`);
    total = page.total;
    for (const e of page.edges) endpoints.add(e.source).add(e.target);
    offset = page.next;
  }
  return { edges: total, endpoints };
}

/** What the importer reads from samples/logseq-docs. */
async function expectedLogseq(): Promise<{ nodes: number; edges: number; endpoints: Set<number> }> {
  let nodes = 0;
  let edges = 0;
  const endpoints = new Set<number>();
  for await (const item of markdownSource(LOGSEQ_DOCS).items(
    () => undefined,
    () => undefined,
  )) {
    if ('node' in item) nodes++;
    else {
      edges++;
      endpoints.add(item.edge.source).add(item.edge.target);
    }
  }
  return { nodes, edges, endpoints };
}

interface Logged {
  readonly nodes: number;
  readonly edges: number;
}

function importLine(output: string): Logged | undefined {
  const line = output.split('\n').find((l) => IMPORTED.test(l));
  return line === undefined ? undefined : (JSON.parse(line) as Logged);
}

interface View {
  readonly id: number;
  readonly type?: string;
  readonly title?: string;
  readonly metadata?: Record<string, string>;
}

test('the first start on an empty folder imports the Logseq docs before the URL; the second start imports nothing', async (t) => {
  t.timeout(300_000);
  const expected = await expectedLogseq();
  t.true(expected.nodes > 3_000 && expected.edges > 3_000, `${expected.nodes} nodes, ${expected.edges} edges`);
  t.true(existsSync(join(LOGSEQ_DOCS, 'pages', 'Glossary.md')), 'the page the test looks for is in the sample');
  const dataDir = dataFolder(t);

  const first = await start(t, dataDir);
  const out = first.r.output();
  const logged = importLine(out);
  t.truthy(logged, out);
  t.is(out.split('\n').filter((l) => IMPORTED.test(l)).length, 1, 'one log line says so');
  t.is(logged?.nodes, expected.nodes);
  t.is(logged?.edges, expected.edges);
  t.log(`first start: URL after ${first.readyMs} ms; ${logged?.nodes} nodes, ${logged?.edges} edges`);

  // The graph behind the URL holds it as soon as the URL is printed: every edge, every node an edge
  // joins, and a known page. (Not the order of the lines in the output: pino writes its lines
  // asynchronously, the banner is a console.log, and the two may swap.)
  const seen = await graphSeen(first);
  t.is(seen.edges, expected.edges);
  t.deepEqual([...seen.endpoints].sort(), [...expected.endpoints].sort());
  const found = await api<{ nodes: View[] }>(first, '/api/graph/search?q=Glossary&limit=20');
  const glossary = found.nodes.find((n) => n.type === 'page' && n.title === 'Glossary');
  if (glossary === undefined) return t.fail(JSON.stringify(found));
  const view = await api<View>(first, `/api/graph/node/${glossary.id}?content=0`);
  t.is(view.title, 'Glossary');
  t.is(view.metadata?.file, 'pages/Glossary.md');
  t.is((await stop(first.r)).code, 0, first.r.output());

  // Not new any more: nothing imported, the same graph.
  const second = await start(t, dataDir);
  t.log(`second start: URL after ${second.readyMs} ms`);
  t.notRegex(second.r.output(), IMPORTED);
  const again = await graphSeen(second);
  t.is(again.edges, expected.edges);
  t.is(again.endpoints.size, expected.endpoints.size);
  t.is((await stop(second.r)).code, 0, second.r.output());
});

/** A client writing to the graph over the WebSocket, as any other would. */
async function writer(s: Started): Promise<{ write(...updates: GraphUpdateT[]): Promise<void>; close(): void }> {
  const client = await Client.open(`${s.origin.replace('http', 'ws')}/ws`);
  client.send(new HandshakeT(s.token, 0, 0n, 'first-start-test', null));
  await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 10_000);
  return {
    async write(...updates) {
      const seq = client.send(new GraphBatchT(updates));
      await client.waitFor(
        () => [...client.of(Payload.Ack), ...client.of(Payload.ErrorReply)].some((e) => Number(e.correlationId) === seq),
        15_000,
      );
      const refused = client.of(Payload.ErrorReply).find((e) => Number(e.correlationId) === seq);
      if (refused !== undefined) throw new Error(`write refused: ${String((refused.payload as ErrorReplyT).message)}`);
    },
    close: () => client.ws.terminate(),
  };
}

test('VF_DEMO=0 starts empty; a store whose graph was emptied gets no example on a later start', async (t) => {
  t.timeout(300_000);
  const dataDir = dataFolder(t);
  const first = await start(t, dataDir, { VF_DEMO: '0' });
  t.notRegex(first.r.output(), IMPORTED);
  t.is((await graphSeen(first)).edges, 0);
  t.deepEqual((await api<{ nodes: View[] }>(first, '/api/graph/search?q=Glossary')).nodes, []);

  // Someone adds a node and deletes it: the graph is empty again, but the store has a history.
  const w = await writer(first);
  t.teardown(() => w.close());
  await w.write(addNode(node(1, 'Scratch')));
  t.is((await api<View>(first, '/api/graph/node/1')).title, 'Scratch');
  await w.write(removeNode(1));
  w.close();
  t.is((await stop(first.r)).code, 0, first.r.output());

  const second = await start(t, dataDir);
  t.notRegex(second.r.output(), IMPORTED, 'a store that has had a graph is not new, though its graph is empty');
  t.deepEqual((await api<{ nodes: View[] }>(second, '/api/graph/search?q=Glossary')).nodes, []);
  t.is((await graphSeen(second)).edges, 0);
  t.is((await stop(second.r)).code, 0, second.r.output());
});

test('npm run import fills a store; a start on it imports no example', async (t) => {
  t.timeout(300_000);
  const dataDir = dataFolder(t);
  const env = { VF_DATA_DIR: dataDir, DATABASE_URL: '' };
  const usage = run(t, 'src/cli/import.ts', env, ['nonsense', ROME99_GR]);
  t.is((await usage.exited).code, 2);
  t.regex(usage.output(), /unknown format "nonsense"/);
  t.regex(usage.output(), /usage: npm run import -- <logseq\|obsidian\|markdown\|snap\|edgelist\|dimacs\|json>/);

  const imported = run(t, 'src/cli/import.ts', env, ['dimacs', ROME99_GR]);
  t.is((await imported.exited).code, 0, imported.output());
  t.regex(imported.output(), /imported .*rome99\.gr into pglite:.*: 3353 nodes, 8870 edges \(\d+ applied, 0 unchanged, 0 conflicts\)/);

  const s = await start(t, dataDir);
  t.notRegex(s.r.output(), IMPORTED);
  const seen = await graphSeen(s);
  t.is(seen.edges, 8870);
  t.is(seen.endpoints.size, 3353);
  t.is((await stop(s.r)).code, 0, s.r.output());
});
