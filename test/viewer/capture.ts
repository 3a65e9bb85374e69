// Screenshots for the docs, against an in-process node, in Debian's chromium (not a test: run by
// hand). Frame-rate figures: scripts/viewer-fps.ts.
//
//   node --import=tsx test/viewer/capture.ts screenshots [nodes]   docs/viewer-small.png, docs/viewer-large.png
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
      await probe(page, `window.visionflow.select(7, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '7'`, 30_000);
    }
    await sleep(2_500);
    await writeFile(file, await page.screenshot());
    console.log(JSON.stringify({ file, nodes, edges: graph.edges.length, state: await probe<ViewerProbe>(page, VIEWER_PROBE), errors }));
  } finally {
    await browser.close();
    await world.close();
  }
}

const [what, ...rest] = process.argv.slice(2);
if (what === 'screenshots') {
  await screenshot(80, 'docs/viewer-small.png', 6_000, false);
  await screenshot(Number(rest[0] ?? 2_000), 'docs/viewer-large.png', 15_000, true);
} else {
  console.error('usage: capture.ts screenshots [nodes]');
  process.exit(2);
}
process.exit(0);
