// "Distances from here" on a graph of one-way links, in a real browser against a whole node: the
// distances follow the links' direction, and the side panel's "ignore direction" toggle asks again
// with the request's undirected flag and shows the distances along links followed both ways.
import test from 'ava';
import {
  bootViewerWorld,
  launchBrowser,
  openViewer,
  probe,
  waitUntil,
  type Browser,
  type SmallGraph,
  type ViewerWorld,
} from './support.ts';

/** A one-way ring 1 -> 2 -> ... -> 12 -> 1, each link of length 1. */
const RING: SmallGraph = {
  nodes: 12,
  edges: Array.from({ length: 12 }, (_, i) => [i + 1, ((i + 1) % 12) + 1, 1] as const),
  directed: true,
};

let world: ViewerWorld;
let browser: Browser;

test.before(async () => {
  world = await bootViewerWorld(RING);
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await world?.close();
});

const loaded = `(() => { const v = window.visionflow; return v !== undefined && v.conn.state === 'open' && v.positions.count === ${RING.nodes}
  && v.graph.edges.size === ${RING.edges.length}; })()`;
const distanceOf = (id: number): string => `window.visionflow.sssp.distanceOf(${id})`;
const distancesOf = (ids: readonly number[]): string => `[${ids.join(', ')}].map((id) => window.visionflow.sssp.distanceOf(id))`;

test('distances follow one-way links; "ignore direction" asks for, and shows, distances along links both ways', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  await probe(page, `window.visionflow.select(1, false)`);
  await waitUntil(
    page,
    `document.querySelector('#node-panel')?.dataset.node === '1' && document.querySelector('#sssp-undirected') !== null`,
    15_000,
  );
  t.false(await page.locator('#sssp-undirected').isChecked(), 'direction is followed by default');

  await page.locator('#sssp-from').click();
  await waitUntil(page, `${distanceOf(12)} === 11`, 20_000);
  t.deepEqual(await probe<number[]>(page, distancesOf([2, 6, 12])), [1, 5, 11]);

  await page.locator('#sssp-undirected').check();
  await waitUntil(page, `${distanceOf(12)} === 1`, 20_000);
  t.deepEqual(await probe<number[]>(page, distancesOf([2, 6, 7, 12])), [1, 5, 6, 1]);
  await waitUntil(page, `document.querySelector('#sssp-undirected')?.checked === true`, 10_000);
  t.true(await page.locator('#sssp-undirected').isChecked(), 'the panel shows the reading in use');

  // A new source keeps the chosen reading; switching back follows direction again.
  await probe(page, `window.visionflow.select(7, false)`);
  await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '7'`, 15_000);
  await page.locator('#sssp-from').click();
  await waitUntil(page, `window.visionflow.sssp.source === 7 && ${distanceOf(1)} === 6 && ${distanceOf(6)} === 1`, 20_000);
  await page.locator('#sssp-undirected').uncheck();
  await waitUntil(page, `${distanceOf(6)} === 11`, 20_000);
  t.is(await probe<number>(page, distanceOf(1)), 6);
  t.deepEqual(errors, []);
});
