// Importers on the real data sets and on malformed input: Logseq docs (links, tags, properties,
// aliases, nested blocks), SNAP ego-Facebook, DIMACS Rome, JSON; every bad file is a clear error
// or warning, never a crash; re-importing the same source changes nothing.
import test from 'ava';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dimacsSource } from '../../src/import/dimacs.ts';
import { edgeListSource } from '../../src/import/edge-list.ts';
import { jsonSource } from '../../src/import/json.ts';
import { parsePage } from '../../src/import/markdown-page.ts';
import { markdownSource } from '../../src/import/markdown.ts';
import { importInto } from '../../src/import/run.ts';
import { ImportError, type ImportEdge, type ImportNode, type ImportSource } from '../../src/import/source.ts';
import { replayTo } from '../../src/graph/replay.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { pgStore } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';
import { FACEBOOK_EDGES, LOGSEQ_DOCS, ROME99_GR } from '../../src/import/samples.ts';

async function collect(source: ImportSource): Promise<{ nodes: ImportNode[]; edges: ImportEdge[]; warnings: string[] }> {
  const nodes: ImportNode[] = [];
  const edges: ImportEdge[] = [];
  const warnings: string[] = [];
  for await (const item of source.items(
    () => undefined,
    (m) => warnings.push(m),
  )) {
    if ('node' in item) nodes.push(item.node);
    else edges.push(item.edge);
  }
  return { nodes, edges, warnings };
}

function tmp(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vf-import-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

test('a Logseq page: properties, aliases, nested blocks, links and tags', (t) => {
  const page = parsePage(
    [
      'title:: My Page',
      'alias:: MP, [[Mine]]',
      'tags:: [[t1]], t2',
      '',
      '- top [[Link A]] #tag',
      '\t- child #[[multi word]]',
      '\t  prio:: high',
      '\t\t- grandchild `[[not a link]]`',
      '- second',
    ].join('\n'),
  );
  t.deepEqual(page.aliases, ['Mine', 'MP']);
  t.deepEqual(page.tags, ['t1', 't2']);
  t.deepEqual(
    page.blocks.map((b) => [b.depth, b.parent, b.links, b.tags]),
    [
      [0, -1, ['Link A'], ['tag']],
      [1, 0, [], ['multi word']],
      [2, 1, [], []],
      [0, -1, [], []],
    ],
  );
  t.deepEqual(page.blocks[1]!.properties, [['prio', 'high']]);
});

test('the Logseq docs graph: pages, blocks, links resolved through aliases, no dangling edge', async (t) => {
  const { nodes, edges, warnings } = await collect(markdownSource(LOGSEQ_DOCS));
  const ids = new Set(nodes.map((n) => n.id));
  t.is(ids.size, nodes.length, 'no two nodes share an id');
  const pages = nodes.filter((n) => n.type === 'page' && n.kind === 'knowledge');
  const journals = nodes.filter((n) => n.type === 'journal' && n.kind === 'knowledge');
  t.true(pages.length >= 238, `${pages.length} pages`);
  t.true(journals.length >= 70, `${journals.length} journals`);
  t.true(
    nodes.some((n) => n.type === 'tag' && n.kind === 'concept'),
    'a missing page first named by a #tag is a tag',
  );
  t.true(nodes.filter((n) => n.type === 'block').length > 3000);
  t.true(
    edges.every((e) => ids.has(e.source) && ids.has(e.target)),
    'every edge joins imported nodes',
  );
  const byTitle = new Map(nodes.filter((n) => n.type === 'page').map((n) => [n.title!.toLowerCase(), n]));
  const embed = byTitle.get('page embed')!;
  t.truthy(embed, 'title:: names the page');
  t.true(embed.metadata!.some(([k, v]) => k === 'alias' && v === 'term/embedded page'));
  t.false(byTitle.has('term/embedded page'), 'an alias is not a page of its own');
  const glossary = byTitle.get('glossary')!;
  const glossaryBlocks = new Set(edges.filter((e) => e.source === glossary.id && e.type === 'contains').map((e) => e.target));
  t.true(glossaryBlocks.size > 0);
  t.true(
    edges.some((e) => e.type === 'links-to' && e.target === embed.id),
    '[[term/embedded page]] links to "Page embed"',
  );
  t.true(edges.some((e) => e.type === 'tagged'));
  t.true(warnings.length < 10, warnings.join('\n'));
});

test('SNAP ego-Facebook: 4,039 nodes and 88,234 undirected edges', async (t) => {
  const { nodes, edges, warnings } = await collect(edgeListSource(FACEBOOK_EDGES));
  t.is(nodes.length, 4039);
  t.is(edges.length, 88234);
  t.is(new Set(edges.map((e) => e.id)).size, 88234);
  t.is(warnings.length, 0);
});

test('DIMACS Rome: 3,353 nodes and 8,870 weighted arcs', async (t) => {
  const { nodes, edges } = await collect(dimacsSource(ROME99_GR));
  t.is(nodes.length, 3353);
  t.is(edges.length, 8870);
  t.true(edges.every((e) => Number.isInteger(e.weight) && e.weight! >= 0));
});

test('malformed inputs give clear errors or warnings, never crashes', async (t) => {
  const dir = tmp({
    'bad.gr': 'p sp 2 1\na 1 3 5\n',
    'noproblem.gr': 'a 1 2 3\n',
    'count.gr': 'p sp 2 2\na 1 2 3\n',
    'junk.txt': Array.from({ length: 200 }, () => 'hello world').join('\n'),
    'mixed.txt': '# c\n1 2\nnot an edge\n3 x\n2 3\n',
    'bad.json': '{"nodes": [{"id": -4}]}',
    'notjson.json': '{nodes',
    'md/pages/ok.md': '- fine [[other]]',
    'md/pages/binary.md': Buffer.from([0, 1, 2, 0xff, 0xfe]),
    'md/pages/weird.md': '\t\t\t\t- too deep first\n- [[unclosed\n- #\n' + '\t'.repeat(200) + '- deep',
  });
  await t.throwsAsync(collect(dimacsSource(join(dir, 'bad.gr'))), {
    instanceOf: ImportError,
    message: /bad.gr:2: arc 1 -> 3 outside nodes 1..2/,
  });
  await t.throwsAsync(collect(dimacsSource(join(dir, 'noproblem.gr'))), {
    instanceOf: ImportError,
    message: /arc before the problem line/,
  });
  await t.throwsAsync(collect(dimacsSource(join(dir, 'count.gr'))), {
    instanceOf: ImportError,
    message: /1 arcs, but the problem line announced 2/,
  });
  await t.throwsAsync(collect(edgeListSource(join(dir, 'junk.txt'))), {
    instanceOf: ImportError,
    message: /more than 100 malformed lines/,
  });
  const mixed = await collect(edgeListSource(join(dir, 'mixed.txt')));
  t.is(mixed.edges.length, 2);
  t.is(mixed.warnings.length, 2);
  t.regex(mixed.warnings[0]!, /mixed.txt:3/);
  await t.throwsAsync(collect(jsonSource(join(dir, 'bad.json'))), { instanceOf: ImportError, message: /nodes.0.id/ });
  await t.throwsAsync(collect(jsonSource(join(dir, 'notjson.json'))), { instanceOf: ImportError, message: /not valid JSON/ });
  await t.throwsAsync(collect(jsonSource(join(dir, 'missing.json'))), { instanceOf: ImportError, message: /cannot read/ });
  const md = await collect(markdownSource(join(dir, 'md')));
  t.true(md.warnings.some((w) => /binary.md: binary content/.test(w)));
  t.true(
    md.nodes.some((n) => n.title === 'other' && n.kind === 'concept'),
    'a link to a missing page makes a placeholder',
  );
  await t.throwsAsync(collect(markdownSource(join(dir, 'nothing-here'))), { instanceOf: ImportError });
});

test('importing into the graph (PostgreSQL) is idempotent: the second run changes nothing', async (t) => {
  const store = await pgStore(t);
  const g = await startGraph(store, { shards: 2 }, t);
  const dir = tmp({
    'g.json': JSON.stringify({
      nodes: [
        { id: 1, title: 'a', metadata: { k: 'v' } },
        { id: 2, kind: 'concept' },
      ],
      edges: [{ source: 1, target: 2, weight: 3 }],
    }),
  });
  const send = (command: unknown) => g.update(command);
  const first = await importInto(send, dimacsSource(ROME99_GR, { idOffset: 1_000_000 }), { batchSize: 1000 });
  t.is(first.applied, 3353 + 8870);
  const again = await importInto(send, dimacsSource(ROME99_GR, { idOffset: 1_000_000 }), { batchSize: 1000 });
  t.is(again.applied, 0);
  t.is(again.unchanged, 3353 + 8870);
  await importInto(send, jsonSource(join(dir, 'g.json')));
  const json2 = await importInto(send, jsonSource(join(dir, 'g.json')));
  t.is(json2.unchanged, 3);
  const [row] = await store.db.query('SELECT count(*) AS n FROM graph_events');
  t.is(asNumber(row!.n), 3353 + 8870 + 3, 'no event for the re-imports');
  const view = await replayTo(store.db);
  t.is(view.nodes.size, 3353 + 2);
  t.is(view.edges.size, 8870 + 1);
});

test('each importer decides direction: DIMACS arcs and Logseq/Obsidian references directed, SNAP undirected unless --directed, JSON per edge', async (t) => {
  const rome = await collect(dimacsSource(ROME99_GR));
  t.true(
    rome.edges.every((e) => e.directed === true),
    'a DIMACS arc is one way',
  );
  const dir = tmp({
    'pairs.txt': '1 2\n2 1\n2 3\n',
    'md/pages/a.md': '- see [[b]] #t\n',
    'md/pages/b.md': '- back to nothing\n',
    'g.json': JSON.stringify({
      nodes: [{ id: 1 }, { id: 2 }],
      edges: [
        { source: 1, target: 2, directed: true },
        { source: 2, target: 1, directed: false },
        { source: 1, target: 1 },
      ],
    }),
    'bad-direction.json': JSON.stringify({ nodes: [{ id: 1 }], edges: [{ source: 1, target: 1, directed: 'yes' }] }),
  });
  const undirected = await collect(edgeListSource(join(dir, 'pairs.txt')));
  t.deepEqual(
    undirected.edges.map((e) => [e.source, e.target, e.directed]),
    [
      [1, 2, false],
      [1, 2, false],
      [2, 3, false],
    ],
  );
  t.is(new Set(undirected.edges.map((e) => e.id)).size, 2, 'a pair listed both ways is one undirected edge');
  const directed = await collect(edgeListSource(join(dir, 'pairs.txt'), { directed: true }));
  t.deepEqual(
    directed.edges.map((e) => [e.source, e.target, e.directed]),
    [
      [1, 2, true],
      [2, 1, true],
      [2, 3, true],
    ],
  );
  t.is(new Set(directed.edges.map((e) => e.id)).size, 3, 'with --directed, a pair listed both ways is two edges');
  const md = await collect(markdownSource(join(dir, 'md')));
  t.true(md.edges.length >= 3);
  t.true(
    md.edges.every((e) => e.directed === true),
    'contains, links-to and tagged point from the referring page or block',
  );
  const json = await collect(jsonSource(join(dir, 'g.json')));
  t.deepEqual(
    json.edges.map((e) => e.directed === true),
    [true, false, false],
  );
  await t.throwsAsync(collect(jsonSource(join(dir, 'bad-direction.json'))), { instanceOf: ImportError, message: /edges.0.directed/ });
});

test('direction is kept through the journal; a re-import that turns an edge around updates it in place', async (t) => {
  const store = await pgStore(t);
  const g = await startGraph(store, { shards: 2 }, t);
  const graph = (directed: boolean): string =>
    JSON.stringify({
      nodes: [{ id: 1 }, { id: 2 }, { id: 3 }],
      edges: [
        { id: 7, source: 1, target: 2, directed },
        { id: 8, source: 2, target: 3 },
      ],
    });
  const dir = tmp({ 'one-way.json': graph(true), 'two-way.json': graph(false) });
  const send = (command: unknown) => g.update(command);
  t.is((await importInto(send, jsonSource(join(dir, 'one-way.json')))).applied, 5);
  t.deepEqual([...(await replayTo(store.db)).edges.values()].map((e) => [e.id, e.directed === true]).sort(), [
    [7n, true],
    [8n, false],
  ]);
  const turned = await importInto(send, jsonSource(join(dir, 'two-way.json')));
  t.is(turned.applied, 1, 'the turned edge is written again; nothing else');
  t.deepEqual([...(await replayTo(store.db)).edges.values()].map((e) => [e.id, e.directed === true]).sort(), [
    [7n, false],
    [8n, false],
  ]);
  t.is((await importInto(send, jsonSource(join(dir, 'two-way.json')))).unchanged, 5);
});
