// The planner's page list: walks the node list to its end, keeps the type asked, and refuses a
// graph with more such nodes than its bound instead of planning over all of them.
import test from 'ava';
import { graphPages } from '../../src/actors/graph-pages.ts';
import type { GraphNodePage, GraphNodeView } from '../../src/gateway/ports.ts';

function listing(nodes: readonly GraphNodeView[]): {
  nodePage(offset: number, limit: number, type?: string): Promise<GraphNodePage>;
  calls: number;
} {
  const port = {
    calls: 0,
    async nodePage(offset: number, limit: number, type?: string): Promise<GraphNodePage> {
      port.calls++;
      const slice = nodes.slice(offset, offset + limit);
      const kept = slice.filter((n) => type === undefined || n.type === type);
      const end = offset + slice.length;
      return end < nodes.length ? { total: nodes.length, offset, nodes: kept, next: end } : { total: nodes.length, offset, nodes: kept };
    },
  };
  return port;
}

const nodes = Array.from({ length: 2500 }, (_, i) => ({
  id: i + 1,
  kind: 'knowledge',
  type: i % 2 === 0 ? 'page' : 'block',
  title: `t${i + 1}`,
}));

test('every page of the graph, across pages of the node list, with titles', async (t) => {
  const port = listing(nodes);
  const pages = await graphPages(port)();
  t.is(pages.length, 1250);
  t.deepEqual(pages[0], { id: 1, title: 't1' });
  t.deepEqual(pages.at(-1), { id: 2499, title: 't2499' });
  t.is(port.calls, 3);
});

test('another type, and an empty graph', async (t) => {
  t.is((await graphPages(listing(nodes), 'block')()).length, 1250);
  t.deepEqual(await graphPages(listing([]))(), []);
});

test('more nodes of the type than the bound: refused, naming the bound', async (t) => {
  await t.throwsAsync(graphPages(listing(nodes), 'page', 1000)(), { instanceOf: RangeError, message: /more than 1000/ });
});
