// The viewer in a real browser (Debian's chromium, headless, WebGL on SwiftShader) against a whole
// node booted in-process with a 24-node graph: the page loads with no errors, frames arrive and
// the canvas shows the graph; a drag moves the node on the server; a setting changed in one page
// appears in another; shortest-path colouring appears. One browser and one node for the file, the
// tests run in order (software WebGL is slow: the scene stays small).
import test from 'ava';
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import {
  bootViewerWorld, canvasPixels, launchBrowser, openViewer, probe, ringGraph, VIEWER_PROBE, waitUntil, type Browser, type ViewerProbe, type ViewerWorld,
} from './support.ts';

const GRAPH = ringGraph(24);
let world: ViewerWorld;
let browser: Browser;

test.before(async () => {
  world = await bootViewerWorld(GRAPH);
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await world?.close();
});

const loaded = `(() => { const v = window.visionflow; return v !== undefined && v.conn.state === 'open' && v.positions.frames > 0
  && v.positions.count === ${GRAPH.nodes} && v.graph.edges.size === ${GRAPH.edges.length}; })()`;

async function nodeView(id: number): Promise<GraphNodeView> {
  const res = await fetch(`${world.base}/api/graph/node/${id}`, { headers: { authorization: `Bearer ${world.token}` } });
  return (await res.json()) as GraphNodeView;
}

test.serial('the page loads with no errors, frames arrive, and the canvas shows nodes and edges', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  // Let a few frames render after the camera framed the graph.
  await page.waitForTimeout(1_500);
  const state = await probe<ViewerProbe>(page, VIEWER_PROBE);
  t.is(state.state, 'open');
  t.is(state.nodes, GRAPH.nodes);
  t.is(state.edges, GRAPH.edges.length);
  t.true(state.frames > 0);
  const pixels = await canvasPixels(page);
  t.log(`canvas ${pixels.width}x${pixels.height}: ${pixels.foreground} foreground pixels, ${pixels.distinctColours} colours, ${state.fps} FPS`);
  t.true(pixels.foreground > 0.002 * pixels.width * pixels.height, 'the canvas is not blank');
  t.true(pixels.distinctColours > 8, 'nodes and edges in more than one colour');
  t.true(await page.locator('#stats').textContent().then((s) => /nodes/.test(s ?? '')), 'the stats overlay shows');
  t.deepEqual(errors, []);
});

test.serial('clicking a node opens the side panel; dragging a node moves it on the server and in another viewer', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  await page.waitForTimeout(1_000);
  const id = 3;
  const at = await probe<[number, number] | undefined>(page, `window.visionflow.screenOf(${id})`);
  if (at === undefined) return t.fail('node 3 is not on screen');
  await page.mouse.click(at[0], at[1]);
  await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${id}' && !document.querySelector('#node-panel').hidden`, 15_000);
  t.regex((await page.locator('#node-panel h2').textContent()) ?? '', /Node 3/);

  // A second viewer watches the node.
  const other = await openViewer(browser, world);
  t.teardown(() => other.page.close());
  await waitUntil(other.page, loaded, 60_000);
  const before = (await nodeView(id)).position;
  const seenBefore = await probe<[number, number, number]>(other.page, `window.visionflow.positions.positionOf(${id})`);
  // The other viewer records where it draws the node on every rendered frame.
  await probe(other.page, `(() => { window.__drawn = []; const loop = () => { const p = window.visionflow.positions.positionOf(${id});
    if (p !== undefined) window.__drawn.push(p); if (window.__drawn.length < 5000) requestAnimationFrame(loop); }; loop(); })()`);
  await page.mouse.move(at[0], at[1]);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(at[0] + i * 15, at[1] - i * 10);
    await page.waitForTimeout(60);
  }
  await page.mouse.up();
  const dropped = await probe<[number, number, number] | undefined>(page, `window.visionflow.positions.overrides.get(${id})`);
  if (dropped === undefined) return t.fail('the viewer holds no drop position');
  const near = (p: { x: number; y: number; z: number } | undefined, limit: number): boolean =>
    p !== undefined && Math.hypot(p.x - dropped[0], p.y - dropped[1], p.z - dropped[2]) < limit;
  // The node update is persisted with the dropped position.
  let after: GraphNodeView['position'];
  for (let i = 0; i < 100 && !near(after, 0.01); i++) {
    after = (await nodeView(id)).position;
    if (!near(after, 0.01)) await new Promise((r) => setTimeout(r, 100));
  }
  t.log(`node ${id}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}, dropped at ${JSON.stringify(dropped)}`);
  t.true(near(after, 0.01), 'the server holds the node where it was dropped');
  if (before !== undefined) t.false(near(before, 1), 'and that is not where it was');
  // The layout moved it there: the other viewer draws it towards the drop point. Not at it: the
  // node is not pinned (no wire message routes the physics actor's drag), so the forces pull it
  // from the next tick on.
  const start = Math.hypot(seenBefore[0] - dropped[0], seenBefore[1] - dropped[1], seenBefore[2] - dropped[2]);
  await new Promise((r) => setTimeout(r, 1_500));
  const drawn = await probe<[number, number, number][]>(other.page, `window.__drawn`);
  const closest = Math.min(...drawn.map((p) => Math.hypot(p[0] - dropped[0], p[1] - dropped[1], p[2] - dropped[2])));
  t.log(`the other viewer drew it ${closest.toFixed(2)} units from the drop point (${start.toFixed(2)} before the drag)`);
  t.true(closest < 0.6 * start, 'visible in the other viewer');
  t.deepEqual(other.errors, []);
  t.deepEqual(errors, []);
});

test.serial('a setting changed in one page appears in a second page', async (t) => {
  const a = await openViewer(browser, world);
  const b = await openViewer(browser, world);
  t.teardown(async () => {
    await a.page.close();
    await b.page.close();
  });
  const control = `document.querySelector('[data-path="visualisation.edges.opacity"]')`;
  await waitUntil(a.page, `${control} !== null && window.visionflow.conn.state === 'open'`, 30_000);
  await waitUntil(b.page, `${control} !== null && window.visionflow.conn.state === 'open'`, 30_000);
  await a.page.locator('#settings-panel > summary').click();
  const input = a.page.locator('[data-path="visualisation.edges.opacity"]');
  await input.fill('0.8');
  await input.dispatchEvent('change');
  await waitUntil(b.page, `${control}.value === '0.8' && window.visionflow.settings.get('visualisation.edges.opacity') === 0.8`, 15_000);
  t.is(await b.page.locator('[data-path="visualisation.edges.opacity"]').inputValue(), '0.8');
  const server = (await (await fetch(`${world.base}/api/settings?paths=visualisation.edges.opacity`, { headers: { authorization: `Bearer ${world.token}` } })).json()) as {
    values: Record<string, { value: unknown }>;
  };
  t.is(server.values['visualisation.edges.opacity']?.value, 0.8);
  t.deepEqual([...a.errors, ...b.errors], []);
});

test.serial('shortest paths: distances from a picked source colour the nodes, the path to a target is highlighted', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  await page.waitForTimeout(1_000);
  const before = await canvasPixels(page);
  await probe(page, `window.visionflow.select(1, false)`);
  await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '1'`, 15_000);
  await page.locator('#sssp-from').click();
  await waitUntil(page, `window.visionflow.sssp.hasResult`, 20_000);
  t.is(await probe<number | undefined>(page, `window.visionflow.sssp.distanceOf(1)`), 0);
  t.true((await probe<number>(page, `window.visionflow.sssp.distanceOf(13)`)) > 0);
  await probe(page, `window.visionflow.select(13, false)`);
  await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '13' && !document.querySelector('#sssp-to').disabled`, 15_000);
  await page.locator('#sssp-to').click();
  await waitUntil(page, `window.visionflow.sssp.path.size > 1`, 10_000);
  await page.waitForTimeout(800);
  const after = await canvasPixels(page);
  t.log(`warm pixels: ${before.warm} before, ${after.warm} after`);
  t.true(after.warm > before.warm + 50, 'nodes are coloured by distance');
  t.deepEqual(errors, []);
});
