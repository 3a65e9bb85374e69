// The viewer read like a map, in a real browser against a whole node: labels chosen by importance
// and space, the focus and isolate mode, a shortest path drawn and listed, colourings with their
// legend, the settings for people, the side panel (markdown, degree, paged neighbours), exports, and
// the keys with their help. A 76-node graph: a hub with 60 neighbours (more than a page of them), a
// chain of 9 hanging off one of them (a path of 10 hops), a few cross links, two triangles apart;
// every node has a "team". One browser and one node for the file, the tests in order (software WebGL is slow).
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { NodeKind } from '../../src/protocol/index.ts';
import {
  bootViewerWorld,
  canvasPixels,
  launchBrowser,
  openViewer,
  pixelsOfColours,
  probe,
  waitUntil,
  type Browser,
  type NodeSpec,
  type SmallGraph,
  type ViewerWorld,
} from './support.ts';

const HUB = 1;
const CHAIN_END = 70;
const MARKDOWN_NODE = 5;
const MARKDOWN = [
  '# Reading list',
  'Start with **the hub** and *its* neighbours, then [[Node 70]] or #Node-6.',
  '- first item with `code`',
  '- second: [the docs](https://example.org/docs)',
  '  - nested',
  'key:: value',
  '<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> [bad](javascript:window.__xss=3)',
].join('\n');

function mapGraph(): SmallGraph {
  const edges: [number, number, number][] = [];
  for (let i = 2; i <= 61; i++) edges.push([HUB, i, 1]);
  edges.push([2, 62, 1]);
  for (let i = 62; i < CHAIN_END; i++) edges.push([i, i + 1, 1]);
  for (let i = 2; i <= 57; i += 5) edges.push([i, i + 3, 2]);
  // Two triangles apart: communities of their own.
  edges.push([71, 72, 1], [72, 73, 1], [73, 71, 1], [74, 75, 1], [75, 76, 1], [76, 74, 1]);
  const spec = (id: number): NodeSpec => ({
    kind: id === 14 || id === 28 ? NodeKind.Agent : id % 10 === 0 ? NodeKind.Concept : NodeKind.Knowledge,
    metadata: [['team', ['red', 'blue', 'green'][id % 3]!], ...(id === 14 || id === 28 ? ([['status', 'working']] as const) : [])],
    ...(id === MARKDOWN_NODE ? { content: MARKDOWN } : {}),
    ...(id === 6 ? { title: 'Node-6' } : {}),
  });
  return { nodes: 76, edges, spec };
}

const GRAPH = mapGraph();
let world: ViewerWorld;
let browser: Browser;

test.before(async () => {
  world = await bootViewerWorld(GRAPH);
  browser = await launchBrowser();
  // Each page starts from this browser's defaults (its own settings live in local storage).
  await browser.context.addInitScript({ content: 'localStorage.clear()' });
});

test.after.always(async () => {
  await browser?.close();
  await world?.close();
});

const loaded = `(() => { const v = window.visionflow; return v !== undefined && v.conn.state === 'open' && v.positions.frames > 0
  && v.positions.count === ${GRAPH.nodes} && v.graph.edges.size === ${GRAPH.edges.length} && v.visible.edgeCount === ${GRAPH.edges.length}; })()`;

async function open(query = '') {
  const opened = await openViewer(browser, world, query);
  await waitUntil(opened.page, loaded, 60_000);
  // Titles arrive in bulk, and the layout spreads out.
  await waitUntil(opened.page, `window.visionflow.details.peek(${CHAIN_END}, false) !== undefined`, 15_000);
  await opened.page.waitForTimeout(1_500);
  return opened;
}

interface Box {
  readonly id: number;
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly opacity: number;
  readonly focus: boolean;
}

/** The labels on the page as drawn: every shown .label's box, from the DOM. */
const LABELS = `[...document.querySelectorAll('#labels .label')].filter((l) => l.style.display !== 'none').map((l) => {
  const r = l.getBoundingClientRect();
  return { id: Number(l.dataset.id), text: l.textContent, x: r.x, y: r.y, w: r.width, h: r.height, opacity: Number(getComputedStyle(l).opacity), focus: l.classList.contains('focus') };
})`;

const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;

test.serial(
  'labels: the best-linked node first, none covering another, more fading in as the camera comes closer, always the selected and the search hits',
  async (t) => {
    const { page, errors } = await open();
    t.teardown(() => page.close());
    const overview = await probe<Box[]>(page, LABELS);
    t.true(
      overview.some((l) => l.id === HUB),
      `the hub is named at the overview: ${overview.map((l) => l.text).join(', ')}`,
    );
    for (let i = 0; i < overview.length; i++)
      for (let j = i + 1; j < overview.length; j++)
        t.false(overlaps(overview[i]!, overview[j]!), `${overview[i]!.text} / ${overview[j]!.text}`);

    const canvas = page.locator('#scene');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    // Zoom where the pointer is, then move it off the graph: a hovered node would take the focus.
    const away = async (): Promise<void> => {
      await page.mouse.move(box.x + box.width - 3, box.y + box.height - 3);
      await page.waitForTimeout(800);
    };
    await page.mouse.wheel(0, 1_500);
    await away();
    const far = await probe<Box[]>(page, LABELS);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -2_000);
    await away();
    const near = await probe<Box[]>(page, LABELS);
    t.log(`labels: ${far.length} far, ${overview.length} at the overview, ${near.length} near`);
    t.true(far.length < near.length, 'more labels as the camera comes closer');
    for (let i = 0; i < near.length; i++)
      for (let j = i + 1; j < near.length; j++) t.false(overlaps(near[i]!, near[j]!), `near: ${near[i]!.text} / ${near[j]!.text}`);

    await page.keyboard.press('f');
    await page.locator('#search').fill('Node 6');
    await waitUntil(page, `document.querySelectorAll('#search-results li').length > 0`, 10_000);
    const hits = await probe<number[]>(page, `[...document.querySelectorAll('#search-results li')].map((li) => Number(li.dataset.id))`);
    await waitUntil(
      page,
      `${JSON.stringify(hits)}.every((id) => [...document.querySelectorAll('#labels .label.focus')].some((l) => Number(l.dataset.id) === id && l.style.display !== 'none'))`,
      10_000,
    );
    t.pass(`search hits labelled: ${hits.join(', ')}`);
    await page.locator('#search').fill('');
    await probe(page, `window.visionflow.select(${CHAIN_END}, false)`);
    await waitUntil(
      page,
      `[...document.querySelectorAll('#labels .label.focus')].some((l) => l.dataset.id === '${CHAIN_END}' && l.textContent === 'Node ${CHAIN_END}')`,
      10_000,
    );
    t.deepEqual(errors, []);
  },
);

test.serial(
  "focus: hovering or selecting lights a node's edges and dims all but it and its neighbours; flying there frames its neighbourhood; isolate draws only the k-hop neighbourhood",
  async (t) => {
    const { page, errors } = await open();
    t.teardown(() => page.close());
    const bright = async (): Promise<number> => (await canvasPixels(page)).bright;
    // Hovering a node lights it and its neighbours up too.
    const at = (await probe<[number, number] | undefined>(page, `window.visionflow.screenOf(63)`))!;
    await page.mouse.move(at[0], at[1]);
    await waitUntil(
      page,
      `window.visionflow.hovered === 63 && window.visionflow.focus.state(64) === 'near' && window.visionflow.focus.state(30) === 'dim'`,
      10_000,
    );
    t.true((await probe<number>(page, `window.visionflow.focus.litPairs.length`)) === 4, 'its two edges are lit');
    await page.mouse.move(3, 557);
    await waitUntil(page, `window.visionflow.hovered === undefined && !window.visionflow.focus.active`, 10_000);
    const before = await bright();
    await probe(page, `window.visionflow.select(62, false)`);
    await page.waitForTimeout(800);
    const states = await probe<string[]>(page, `[62, 2, 63, 1, 30].map((id) => window.visionflow.focus.state(id))`);
    t.deepEqual(states, ['focus', 'near', 'near', 'dim', 'dim']);
    t.regex((await page.locator('#legend').innerText()).replace(/\s+/g, ' '), /dimmed: outside/);
    // Dimmed nodes are near the background: the canvas holds fewer bright pixels.
    const after = await bright();
    t.log(`bright pixels: ${before} before, ${after} focused`);
    t.true(after < before * 0.7, 'the rest of the graph dims');
    await probe(page, `window.visionflow.select(62, true)`);
    await page.waitForTimeout(1_200);
    // The neighbourhood is in view, at a comfortable distance: the node is not a screen-filling sphere.
    const seen = await probe<([number, number] | null)[]>(page, `[62, 2, 63].map((id) => window.visionflow.screenOf(id) ?? null)`);
    t.true(
      seen.every((p) => p !== null && p[0] > 0 && p[0] < 800 && p[1] > 0 && p[1] < 560),
      JSON.stringify(seen),
    );
    const radiusPx = await probe<number>(
      page,
      `(() => { const v = window.visionflow; const a = v.screenOf(62); const p = v.positions.positionOf(62);
    const cam = v.scene.camera.camera; const Vec3 = cam.entity.getPosition().constructor; const r = cam.worldToScreen(new Vec3(p[0], p[1] + 1, p[2])); return Math.abs(r.y - a[1]); })()`,
    );
    t.true(radiusPx < 560 / 6, `a unit sphere is ${radiusPx.toFixed(1)} px tall on screen`);

    const focused = await canvasPixels(page);
    // Isolate, two hops: 62, its neighbours 2 and 63, theirs 1, 5, 64 (and 2's cross link).
    await page.locator('#isolate-hops').selectOption('2');
    await page.locator('#isolate').check();
    await waitUntil(page, `window.visionflow.focus.isolatedSet?.size > 0`, 10_000);
    const isolated = await probe<number[]>(page, `[...window.visionflow.focus.isolatedSet].sort((a, b) => a - b)`);
    t.deepEqual(isolated, [1, 2, 5, 62, 63, 64]);
    await page.waitForTimeout(800);
    t.is(await probe<number>(page, `window.visionflow.edges.count`), 6, 'only the edges inside are drawn');
    const hidden = await probe<number>(
      page,
      `window.visionflow.positions.ids.filter((id) => window.visionflow.focus.state(id) === 'hidden').length`,
    );
    t.is(hidden, GRAPH.nodes - 6);
    t.true((await canvasPixels(page)).foreground < focused.foreground, 'the canvas holds only the neighbourhood');
    await page.locator('#isolate').uncheck();
    await waitUntil(page, `window.visionflow.focus.isolatedSet === undefined`, 5_000);
    t.deepEqual(errors, []);
  },
);

test.serial(
  'paths: start and end from the search box or the panel, one step each; the path is drawn thick and lit, its hops labelled and listed with their distances',
  async (t) => {
    const { page, errors } = await open();
    t.teardown(() => page.close());
    await page.locator('#search').fill(`Node ${CHAIN_END}`);
    const row = page.locator(`#search-results li[data-id="${CHAIN_END}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.locator('button', { hasText: 'start' }).click();
    await waitUntil(page, `window.visionflow.sssp.source === ${CHAIN_END} && window.visionflow.sssp.hasResult`, 20_000);
    await probe(page, `window.visionflow.select(${HUB}, false)`);
    await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${HUB}'`, 10_000);
    await page.locator('#sssp-to').click();
    await waitUntil(page, `document.querySelectorAll('#path-hops li').length === 11`, 15_000);
    const hops = await probe<{ id: number; text: string }[]>(
      page,
      `[...document.querySelectorAll('#path-hops li')].map((li) => ({ id: Number(li.dataset.id), text: li.textContent }))`,
    );
    t.deepEqual(
      hops.map((h) => h.id),
      [70, 69, 68, 67, 66, 65, 64, 63, 62, 2, 1],
    );
    const distances = hops.map((h) => Number(/([\d.]+)$/.exec(h.text)?.[1]));
    t.deepEqual(distances, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    t.regex((await page.locator('#node-panel h3', { hasText: 'Path' }).textContent()) ?? '', /10 hops, distance 10/);
    // Every hop is named on the canvas, and the path's ten edges are drawn as tubes.
    await page.waitForTimeout(800);
    const named = await probe<number[]>(
      page,
      `[...document.querySelectorAll('#labels .label.focus')].filter((l) => l.style.display !== 'none').map((l) => Number(l.dataset.id))`,
    );
    t.true(
      hops.every((h) => named.includes(h.id)),
      `labelled: ${named.join(', ')}`,
    );
    t.is(await probe<number>(page, `window.visionflow.pathTubes.count`), 10);
    const [green] = await pixelsOfColours(page, [[51, 255, 102]]);
    t.log(`path-green pixels: ${green}`);
    t.true(green! > 200, 'the path stands out in its colour');
    // An end picked first (in the search box), then the start: the path appears once the start is known.
    await page.locator('#sssp-clear').click();
    await waitUntil(page, `window.visionflow.sssp.source === undefined && document.querySelectorAll('#path-hops li').length === 0`, 10_000);
    await page.locator('#search').fill('Node 1');
    const endRow = page.locator(`#search-results li[data-id="${HUB}"]`);
    await endRow.waitFor({ timeout: 10_000 });
    await endRow.locator('button', { hasText: 'end' }).click();
    await probe(page, `window.visionflow.select(64, false)`);
    await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '64'`, 10_000);
    await page.locator('#sssp-from').click();
    await waitUntil(page, `window.visionflow.shownPath.length === 5`, 15_000);
    t.deepEqual(await probe<number[]>(page, `window.visionflow.shownPath`), [64, 63, 62, 2, 1]);
    t.deepEqual(errors, []);
  },
);

test.serial(
  'colour and legend: by type, degree, community and an attribute, each explained by a legend whose colours are on the canvas',
  async (t) => {
    const { page, errors } = await open();
    t.teardown(() => page.close());
    await page.evaluate('localStorage.clear()');
    const legend = async () =>
      probe<{ title: string; rows: { label: string; count: number; colour: string }[]; ramp: string | null }>(
        page,
        `(() => {
    const l = document.querySelector('#legend');
    return { title: l.querySelector('h3').textContent, ramp: l.querySelector('.ramp')?.textContent ?? null,
      rows: [...l.querySelectorAll('li')].map((li) => ({ label: li.querySelector('.what').textContent, count: Number(li.querySelector('.count').textContent.replace(/,/g, '')), colour: li.querySelector('.swatch').style.background })) };
  })()`,
      );
    const rgb = (css: string): [number, number, number] => css.match(/\d+/g)!.slice(0, 3).map(Number) as [number, number, number];

    const byType = await legend();
    t.is(byType.title, 'Colour: type');
    t.deepEqual(byType.rows.map((r) => r.label).sort(), ['agent', 'concept', 'knowledge']);
    t.is(
      byType.rows.reduce((s, r) => s + r.count, 0),
      GRAPH.nodes,
    );
    const present = await pixelsOfColours(
      page,
      byType.rows.map((r) => rgb(r.colour)),
    );
    t.true(
      present.every((n) => n > 0),
      `each legend colour is on the canvas: ${present.join(', ')}`,
    );

    await page.locator('#settings-panel > summary').click();
    const colourBy = page.locator('#colour-by');
    await colourBy.selectOption('degree');
    await waitUntil(page, `document.querySelector('#legend h3')?.textContent === 'Colour: degree'`, 10_000);
    const byDegree = await legend();
    t.regex(byDegree.ramp ?? '', /fewest links.*most links/s, 'the ramp says what its ends mean');
    t.is(
      byDegree.rows.reduce((s, r) => s + r.count, 0),
      GRAPH.nodes,
    );
    t.regex(byDegree.rows.at(-1)!.label, /60/, 'the hub is in the top step');

    await colourBy.selectOption('community');
    await waitUntil(page, `document.querySelector('#legend h3')?.textContent === 'Colour: community'`, 10_000);
    const byCommunity = await legend();
    t.deepEqual(
      byCommunity.rows.map((r) => [r.label, r.count]),
      [
        ['around Node 1', 70],
        ['around Node 71', 3],
        ['around Node 74', 3],
      ],
    );
    const communityPixels = await pixelsOfColours(
      page,
      byCommunity.rows.map((r) => rgb(r.colour)),
    );
    t.true(
      communityPixels.every((n) => n > 0),
      `each community's colour is on the canvas: ${communityPixels.join(', ')}`,
    );

    await waitUntil(page, `[...document.querySelectorAll('#colour-by option')].some((o) => o.value === 'attribute:team')`, 15_000);
    await colourBy.selectOption('attribute:team');
    await waitUntil(page, `document.querySelector('#legend h3')?.textContent === 'Colour: team'`, 10_000);
    await page.waitForTimeout(800);
    const byTeam = await legend();
    t.deepEqual(byTeam.rows.map((r) => [r.label, r.count]).sort(), [
      ['blue', 26],
      ['green', 25],
      ['red', 25],
    ]);
    const teamPixels = await pixelsOfColours(
      page,
      byTeam.rows.map((r) => rgb(r.colour)),
    );
    t.true(
      teamPixels.every((n) => n > 0),
      `each team's colour is on the canvas: ${teamPixels.join(', ')}`,
    );
    t.is(
      await probe<string>(page, `JSON.parse(localStorage.getItem('visionflow.view')).colourBy`),
      'attribute:team',
      "the choice is this browser's",
    );
    await colourBy.selectOption('type');
    t.deepEqual(errors, []);
  },
);

test.serial(
  "settings for people: the quick controls up front, each marked shared or this browser's; presets and reset; the expert tree folded",
  async (t) => {
    const a = await open();
    const b = await open();
    t.teardown(async () => {
      await a.page.close();
      await b.page.close();
    });
    await a.page.locator('#settings-panel > summary').click();
    await waitUntil(a.page, `document.querySelector('.quick-settings') !== null`, 15_000);
    const quick = await probe<[string, string][]>(
      a.page,
      `[...document.querySelectorAll('.quick-settings .setting')].map((r) => [r.querySelector('span').textContent, r.querySelector('.scope').textContent])`,
    );
    t.deepEqual(quick, [
      ['Node size', 'shared'],
      ['Link distance', 'shared'],
      ['Repulsion', 'shared'],
      ['Labels', 'shared'],
      ['Colour by', 'this browser'],
    ]);
    t.false(await probe<boolean>(a.page, `document.querySelector('#settings-expert').open`), 'the expert tree starts folded');
    t.true(await a.page.locator('#settings-expert summary').first().isVisible());
    t.false(await a.page.locator('[data-path="physics.theta"]').isVisible(), 'expert settings are out of the way');
    t.regex(
      await probe<string>(a.page, `document.querySelector('[data-path="physics.knowledge.springLength"]').closest('label').textContent`),
      /^Spring length/,
      'named in words, not dot paths',
    );

    const serverValue = async (path: string): Promise<unknown> =>
      (
        (await (
          await fetch(`${world.base}/api/settings?paths=${path}`, { headers: { authorization: `Bearer ${world.token}` } })
        ).json()) as { values: Record<string, { value: unknown }> }
      ).values[path]?.value;
    await a.page.locator('.presets button[data-preset="Spread"]').click();
    await waitUntil(
      b.page,
      `window.visionflow.settings?.get('physics.knowledge.springLength') === 25 && window.visionflow.settings.get('physics.repulsion') === 30`,
      15_000,
    );
    t.is(await serverValue('physics.knowledge.springLength'), 25, 'a preset is shared: the node keeps it');
    await a.page.locator('#colour-by').selectOption('degree');
    await waitUntil(a.page, `document.querySelector('#legend h3')?.textContent === 'Colour: degree'`, 10_000);
    await b.page.waitForTimeout(500);
    t.is(
      await probe<string>(b.page, `document.querySelector('#legend h3')?.textContent`),
      'Colour: type',
      'the colouring is not sent to other viewers',
    );
    await a.page.locator('#settings-reset').click();
    await waitUntil(
      b.page,
      `window.visionflow.settings.get('physics.knowledge.springLength') === 10 && window.visionflow.settings.get('physics.repulsion') === 12`,
      15_000,
    );
    t.is(await probe<string>(a.page, `window.visionflow.local.value.colourBy`), 'type', "reset puts this browser's settings back too");
    t.is(await serverValue('physics.repulsion'), 12);
    t.deepEqual([...a.errors, ...b.errors], []);
  },
);

test.serial(
  'side panel: markdown rendered and nothing of the markup run, the degree, properties as a table, neighbours 50 at a time, each opening its node',
  async (t) => {
    const { page, errors } = await open();
    t.teardown(() => page.close());
    await probe(page, `window.visionflow.select(${MARKDOWN_NODE}, false)`);
    await waitUntil(
      page,
      `document.querySelector('#node-panel')?.dataset.node === '${MARKDOWN_NODE}' && document.querySelector('#node-panel .content') !== null`,
      15_000,
    );
    const content = page.locator('#node-panel .content');
    t.is(await content.locator('h4').textContent(), 'Reading list');
    t.is(await content.locator('strong').first().textContent(), 'the hub');
    t.is(await page.locator('#node-panel .content > ul > li').count(), 2);
    t.is(await content.locator('ul ul > li').textContent(), 'nested');
    t.is(await content.locator('code').first().textContent(), 'code');
    t.is(await content.locator('a.external').getAttribute('href'), 'https://example.org/docs');
    t.is(await content.locator('.property .key').textContent(), 'key');
    t.is(await page.locator('#node-panel script, #node-panel img').count(), 0, 'no markup from the content');
    t.is(await page.locator('#node-panel a[href^="javascript"]').count(), 0, 'no script links');
    t.regex((await content.textContent()) ?? '', /<script>window.__xss = 1<\/script>/, 'the markup shows as text');
    t.is(await probe<unknown>(page, 'window.__xss'), undefined);
    t.regex((await page.locator('#node-panel .degree').textContent()) ?? '', /degree 2/);
    const props = await probe<[string, string][]>(
      page,
      `[...document.querySelectorAll('#node-panel table.properties tr')].map((r) => [r.children[0].textContent, r.children[1].textContent])`,
    );
    t.deepEqual(
      props.find(([k]) => k === 'team'),
      ['team', 'green'],
    );
    // A [[link]] in the content opens that page.
    await content.locator('a.wiki').click();
    await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${CHAIN_END}'`, 15_000);

    await probe(page, `window.visionflow.select(${HUB}, false)`);
    await waitUntil(
      page,
      `document.querySelector('#node-panel')?.dataset.node === '${HUB}' && document.querySelectorAll('#node-panel .neighbours li').length === 50`,
      15_000,
    );
    t.regex((await page.locator('#node-panel .neighbours-title').textContent()) ?? '', /Neighbours \(60\)/);
    t.regex((await page.locator('#node-panel .degree').textContent()) ?? '', /degree 60/);
    t.is(await page.locator('#neighbours-more').textContent(), 'Show 10 more');
    await page.locator('#neighbours-more').click();
    await waitUntil(page, `document.querySelectorAll('#node-panel .neighbours li').length === 60`, 10_000);
    t.false(await page.locator('#neighbours-more').isVisible());
    t.is(await page.locator('#node-panel .neighbours a[data-id="61"]').textContent(), 'Node 61');
    await page.locator('#node-panel .neighbours a[data-id="61"]').click();
    await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '61'`, 10_000);
    t.deepEqual(errors, []);
  },
);

test.serial('export: a PNG of the view, and the visible subgraph as GraphML and GEXF', async (t) => {
  const { page, errors } = await open();
  t.teardown(() => page.close());
  const save = async (button: string): Promise<Buffer> => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.locator(button).click()]);
    return readFile((await download.path())!);
  };
  const png = await save('#export-png');
  t.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG');
  const size = [png.readUInt32BE(16), png.readUInt32BE(20)];
  t.true(size[0]! >= 800 && size[1]! >= 560, `${size.join('x')}`);
  const drawn = await probe<number>(
    page,
    `(async () => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png.toString('base64'))}), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bitmap.width, bitmap.height); const g = c.getContext('2d'); g.drawImage(bitmap, 0, 0);
    const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data; let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 15) + Math.abs(d[i + 1] - 20) + Math.abs(d[i + 2] - 25) > 24) n++;
    return n; })()`,
  );
  t.true(drawn > 2_000, `the image holds the graph (${drawn} pixels off the background)`);

  const graphml = (await save('#export-graphml')).toString('utf8');
  t.regex(graphml, /^<\?xml/);
  t.is((graphml.match(/<node /g) ?? []).length, GRAPH.nodes);
  t.is((graphml.match(/<edge /g) ?? []).length, GRAPH.edges.length);
  t.regex(graphml, /<node id="n1"><data key="label">Node 1<\/data>/);

  await probe(page, `window.visionflow.select(62, false)`);
  await page.locator('#isolate').check();
  await waitUntil(page, `window.visionflow.focus.isolatedSet?.size === 3`, 10_000);
  const gexf = (await save('#export-gexf')).toString('utf8');
  t.regex(gexf, /<gexf xmlns="http:\/\/gexf.net\/1.3"/);
  t.is((gexf.match(/<node /g) ?? []).length, 3, 'isolated: only the neighbourhood');
  t.is((gexf.match(/<edge /g) ?? []).length, 2);
  t.regex(gexf, /<viz:color r="\d+" g="\d+" b="\d+"\/><viz:position/);
  t.deepEqual(errors, []);
});

test.serial('keys and help: ? lists the keys and mouse actions, Esc closes it; keys act on the view', async (t) => {
  const { page, errors } = await open();
  t.teardown(() => page.close());
  await page.evaluate('localStorage.clear()');
  await page.locator('#scene').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('?');
  await waitUntil(page, `!document.querySelector('#help').hidden`, 5_000);
  const help = (await page.locator('#help').innerText()).replace(/\s+/g, ' ');
  for (const words of ['Frame the whole graph', 'Esc', 'Isolate', 'Orbit', 'Zoom', 'Pan', 'PNG']) t.true(help.includes(words), words);
  t.is(await page.locator('#help a').getAttribute('href'), 'help.html');
  await page.keyboard.press('Escape');
  await waitUntil(page, `document.querySelector('#help').hidden`, 5_000);

  await page.keyboard.press('c');
  await waitUntil(page, `document.querySelector('#legend h3')?.textContent === 'Colour: degree'`, 5_000);
  await probe(page, `window.visionflow.select(62, false)`);
  await page.keyboard.press('i');
  await waitUntil(page, `window.visionflow.focus.isolatedSet?.size === 3`, 5_000);
  await page.keyboard.press('i');
  await waitUntil(page, `window.visionflow.focus.isolatedSet === undefined`, 5_000);
  await page.keyboard.press('s');
  await waitUntil(page, `window.visionflow.sssp.source === 62`, 5_000);
  await page.keyboard.press('x');
  await waitUntil(page, `window.visionflow.sssp.source === undefined`, 5_000);
  await page.keyboard.press('/');
  t.true(await probe<boolean>(page, `document.activeElement === document.querySelector('#search')`));
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await waitUntil(page, `window.visionflow.selected === undefined && document.querySelector('#node-panel').hidden`, 5_000);
  t.deepEqual(errors, []);
});
