// Screenshots for the docs and frame-rate figures, against an in-process node, in Debian's
// chromium (not a test: run by hand).
//
//   node --import=tsx test/viewer/capture.ts screenshots      docs/viewer-small.png, docs/viewer-large.png
//   node --import=tsx test/viewer/capture.ts fps 10000 100000  one JSON line per size: FPS after the layout runs
//
// VF_CHROMIUM_ARGS (space-separated) replaces the software-WebGL flags, e.g. on a GPU machine.
import { writeFile } from 'node:fs/promises';
import { bootViewerWorld, launchBrowser, openViewer, probe, scaleFreeGraph, VIEWER_PROBE, waitUntil, type ViewerProbe } from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function screenshot(nodes: number, file: string, settleMs: number, sssp: boolean): Promise<void> {
  const graph = scaleFreeGraph(nodes);
  const world = await bootViewerWorld(graph);
  const browser = await launchBrowser({ width: 1280, height: 760 });
  try {
    const { page, errors } = await openViewer(browser, world);
    await waitUntil(page, `window.visionflow?.positions.count === ${nodes} && window.visionflow.graph.edges.size === ${graph.edges.length}`, 180_000);
    await sleep(settleMs);
    await probe(page, `window.visionflow.frameAll()`);
    await sleep(1_500);
    if (sssp) {
      await probe(page, `window.visionflow.select(1, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '1'`, 30_000);
      await page.locator('#sssp-from').click();
      await waitUntil(page, `window.visionflow.sssp.hasResult`, 60_000);
      const far = Math.max(2, nodes - 3);
      await probe(page, `window.visionflow.select(${far}, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${far}' && !document.querySelector('#sssp-to').disabled`, 30_000);
      await page.locator('#sssp-to').click();
    } else {
      await probe(page, `window.visionflow.select(2, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '2'`, 30_000);
    }
    await sleep(2_500);
    await writeFile(file, await page.screenshot());
    console.log(JSON.stringify({ file, nodes, edges: graph.edges.length, state: await probe<ViewerProbe>(page, VIEWER_PROBE), errors }));
  } finally {
    await browser.close();
    await world.close();
  }
}

async function fps(nodes: number): Promise<void> {
  const graph = scaleFreeGraph(nodes);
  const world = await bootViewerWorld(graph);
  const browser = await launchBrowser({ width: 1280, height: 760 });
  try {
    const { page } = await openViewer(browser, world);
    await waitUntil(page, `window.visionflow?.positions.count === ${nodes} && window.visionflow.positions.frames > 0`, 600_000);
    await sleep(3_000);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(1_000);
      samples.push((await probe<ViewerProbe>(page, VIEWER_PROBE)).fps);
    }
    const mode = await probe<string>(page, `document.querySelector('#stats').textContent.split('·').at(-1).trim()`);
    samples.sort((a, b) => a - b);
    console.log(JSON.stringify({ suite: 'viewer', metric: `fps_${nodes}`, value: samples[5], unit: 'fps', mode, renderer: await probe<string>(page, RENDERER) }));
  } finally {
    await browser.close();
    await world.close();
  }
}

const RENDERER = `(() => { const g = document.createElement('canvas').getContext('webgl2'); const e = g?.getExtension('WEBGL_debug_renderer_info');
  return g === null ? 'no webgl2' : String(e ? g.getParameter(e.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER)); })()`;

const [what, ...rest] = process.argv.slice(2);
if (what === 'screenshots') {
  await screenshot(80, 'docs/viewer-small.png', 6_000, false);
  await screenshot(Number(rest[0] ?? 2_000), 'docs/viewer-large.png', 15_000, true);
} else if (what === 'fps') {
  for (const n of rest.length > 0 ? rest.map(Number) : [10_000, 100_000]) await fps(n);
} else {
  console.error('usage: capture.ts screenshots [nodes] | fps [n ...]');
  process.exit(2);
}
process.exit(0);
