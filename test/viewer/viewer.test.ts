// The viewer in a real browser (Debian's chromium, headless, WebGL on SwiftShader) against a whole
// node booted in-process with a 24-node graph: the page loads with no errors, frames arrive and
// the canvas shows the graph; a drag pins the node on the server where it was dropped; the side
// panel renders content as markdown, never markup, and agents' status; point sprites past the node-count threshold; a
// setting changed in one page appears in another; shortest-path colouring appears. One browser and one node for the file, the
// tests run in order (software WebGL is slow: the scene stays small).
import test from 'ava';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { COMPUTE_PATHS } from '../../src/supervisors/app-tree.ts';
import {
  bootViewerWorld,
  canvasPixels,
  HOSTILE_CONTENT,
  HOSTILE_CONTENT_NODE,
  launchBrowser,
  openViewer,
  probe,
  ringGraph,
  VIEWER_PROBE,
  waitUntil,
  type Browser,
  type ViewerProbe,
  type ViewerWorld,
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
  t.log(
    `canvas ${pixels.width}x${pixels.height}: ${pixels.foreground} foreground pixels, ${pixels.distinctColours} colours, ${state.fps} FPS`,
  );
  t.true(pixels.foreground > 0.002 * pixels.width * pixels.height, 'the canvas is not blank');
  t.true(pixels.distinctColours > 8, 'nodes and edges in more than one colour');
  t.true(
    await page
      .locator('#stats')
      .textContent()
      .then((s) => /nodes/.test(s ?? '')),
    'the stats overlay shows',
  );
  t.deepEqual(errors, []);
});

test.serial(
  'clicking a node opens the side panel; dragging a node pins it on the server where it was dropped, seen in another viewer',
  async (t) => {
    const { page, errors } = await openViewer(browser, world);
    t.teardown(() => page.close());
    await waitUntil(page, loaded, 60_000);
    await page.waitForTimeout(1_000);
    const id = 3;
    const at = await probe<[number, number] | undefined>(page, `window.visionflow.screenOf(${id})`);
    if (at === undefined) return t.fail('node 3 is not on screen');
    await page.mouse.click(at[0], at[1]);
    await waitUntil(
      page,
      `document.querySelector('#node-panel')?.dataset.node === '${id}' && !document.querySelector('#node-panel').hidden`,
      15_000,
    );
    t.regex((await page.locator('#node-panel h2').textContent()) ?? '', /Node 3/);
    // Close the panel: it may cover the node.
    await page.keyboard.press('Escape');
    await waitUntil(page, `document.querySelector('#node-panel').hidden`, 5_000);

    // A second viewer watches the node.
    const other = await openViewer(browser, world);
    t.teardown(() => other.page.close());
    await waitUntil(other.page, loaded, 60_000);
    const seenBefore = await probe<[number, number, number]>(other.page, `window.visionflow.positions.positionOf(${id})`);
    const from = (await probe<[number, number] | undefined>(page, `window.visionflow.screenOf(${id})`)) ?? at;
    await page.mouse.move(from[0], from[1]);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) {
      await page.mouse.move(from[0] + i * 15, from[1] - i * 10);
      await page.waitForTimeout(60);
    }
    await page.mouse.up();
    const dropped = await probe<[number, number, number] | undefined>(page, `window.visionflow.positions.overrides.get(${id})`);
    if (dropped === undefined) return t.fail('the viewer holds no drop position');
    const distance = (p: readonly number[]) => Math.hypot(p[0]! - dropped[0], p[1]! - dropped[1], p[2]! - dropped[2]);
    // The physics pinned it (released physics.pinTimeoutMs, 5 s by default, after the drop).
    const physics = world.node.system.lookup<PhysicsMsg>(COMPUTE_PATHS.physics)!;
    const stats = await world.node.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 5_000);
    t.true(stats.pinned.includes(id), `pinned on the server: ${JSON.stringify(stats.pinned)}`);
    // The other viewer draws it at the drop point (within the stream's quantisation), and it stays
    // there while pinned though its springs pull at it.
    await waitUntil(
      other.page,
      `(() => { const p = window.visionflow.positions.positionOf(${id}); const d = ${JSON.stringify(dropped)};
    return Math.hypot(p[0] - d[0], p[1] - d[1], p[2] - d[2]) < 0.5; })()`,
      15_000,
    );
    await page.waitForTimeout(1_500);
    const held = await probe<[number, number, number]>(other.page, `window.visionflow.positions.positionOf(${id})`);
    t.log(
      `node ${id}: ${distance(seenBefore).toFixed(2)} units from the drop point before, ${distance(held).toFixed(3)} after 1.5 s pinned`,
    );
    t.true(distance(seenBefore) > 1, 'the drag moved it');
    t.true(distance(held) < 0.5, 'it stays where it was dropped');
    t.deepEqual(other.errors, []);
    t.deepEqual(errors, []);
  },
);

test.serial('the side panel shows the content as text; agents stand out with their status and task', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  await probe(page, `window.visionflow.select(${HOSTILE_CONTENT_NODE}, false)`);
  await waitUntil(
    page,
    `document.querySelector('#node-panel')?.dataset.node === '${HOSTILE_CONTENT_NODE}' && document.querySelector('#node-panel .content') !== null`,
    15_000,
  );
  // Markdown is rendered (the emphasis), markup is not: the tag shows as the text it is.
  t.is(await page.locator('#node-panel .content').textContent(), HOSTILE_CONTENT.replace('*markdown*', 'markdown'));
  t.is(await page.locator('#node-panel .content em').textContent(), 'markdown');
  t.is(await page.locator('#node-panel img').count(), 0, 'markup in content stays text');
  t.is(await probe<unknown>(page, 'window.__xss'), undefined);
  await probe(page, `window.visionflow.select(7, false)`);
  await waitUntil(
    page,
    `document.querySelector('#node-panel')?.dataset.node === '7' && document.querySelector('#node-panel .agent') !== null`,
    15_000,
  );
  t.is(await page.locator('#node-panel .agent').textContent(), 'Agent · working · Summarise node 6');
  // Its label carries the status and task too.
  await waitUntil(
    page,
    `[...document.querySelectorAll('.label.agent')].some((l) => l.textContent === 'Node 7 · working · Summarise node 6')`,
    15_000,
  );
  t.deepEqual(errors, []);
});

test.serial('past the node-count threshold (lowered by ?pointsAbove=) nodes are drawn as point sprites', async (t) => {
  const { page, errors } = await openViewer(browser, world, '&pointsAbove=10');
  t.teardown(() => page.close());
  await waitUntil(page, loaded, 60_000);
  await waitUntil(page, `document.querySelector('#stats')?.textContent.endsWith('points') === true`, 15_000);
  // Edges and the overlays off: what remains in the screenshot is the nodes.
  await probe(page, `(() => { window.visionflow.edges.visible = false; document.querySelector('#ui').style.visibility = 'hidden'; })()`);
  await page.waitForTimeout(1_000);
  const pixels = await canvasPixels(page);
  t.log(`points: ${pixels.foreground} foreground pixels, ${pixels.distinctColours} colours`);
  t.true(pixels.foreground > 0.001 * pixels.width * pixels.height, 'the sprites are drawn');
  t.true(pixels.distinctColours > 4, "shaded, in the kinds' colours");
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
  // The expert tree is folded: open it and the edges group.
  await a.page.locator('#settings-expert > summary').click();
  await a.page.locator('#settings-expert details', { hasText: 'Visualisation · edges' }).locator('summary').click();
  const input = a.page.locator('[data-path="visualisation.edges.opacity"]');
  await input.fill('0.8');
  await input.dispatchEvent('change');
  await waitUntil(b.page, `${control}.value === '0.8' && window.visionflow.settings.get('visualisation.edges.opacity') === 0.8`, 15_000);
  t.is(await b.page.locator('[data-path="visualisation.edges.opacity"]').inputValue(), '0.8');
  const server = (await (
    await fetch(`${world.base}/api/settings?paths=visualisation.edges.opacity`, { headers: { authorization: `Bearer ${world.token}` } })
  ).json()) as {
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
  await waitUntil(
    page,
    `document.querySelector('#node-panel')?.dataset.node === '13' && !document.querySelector('#sssp-to').disabled`,
    15_000,
  );
  await page.locator('#sssp-to').click();
  await waitUntil(page, `window.visionflow.sssp.path.size > 1`, 10_000);
  await page.waitForTimeout(800);
  const after = await canvasPixels(page);
  t.log(`warm pixels: ${before.warm} before, ${after.warm} after`);
  t.true(after.warm > before.warm + 50, 'nodes are coloured by distance');
  t.deepEqual(errors, []);
});
