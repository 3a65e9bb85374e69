// The edge list the viewer loads at connect time, from a whole node (the real GraphPort over the
// graph router's directory), page by page.
import test from 'ava';
import type { GraphEdgePage } from '../../src/gateway/ports.ts';
import { bootViewerWorld, ringGraph } from './support.ts';

test('GET /api/graph/edges pages through every edge of a real node', async (t) => {
  const graph = ringGraph(12);
  const world = await bootViewerWorld(graph);
  t.teardown(() => world.close());
  const seen: GraphEdgePage['edges'][number][] = [];
  let pages = 0;
  for (let offset: number | undefined = 0; offset !== undefined; pages++) {
    const res = await fetch(`${world.base}/api/graph/edges?offset=${offset}&limit=5`, {
      headers: { authorization: `Bearer ${world.token}` },
    });
    t.is(res.status, 200);
    const page = (await res.json()) as GraphEdgePage;
    t.is(page.total, graph.edges.length);
    seen.push(...page.edges);
    offset = page.next;
  }
  t.is(pages, Math.ceil(graph.edges.length / 5));
  t.deepEqual(seen.map((e) => [e.source, e.target]).sort(), graph.edges.map(([s, tg]) => [s, tg]).sort());
  t.true(seen.every((e) => /^[0-9]+$/.test(e.id)));
});
