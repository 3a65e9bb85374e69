// Screenshots for the docs, in the Chromium the browser tests use (not a test: run by hand).
// Frame-rate figures: scripts/viewer-fps.ts.
//
//   node --import=tsx test/viewer/capture.ts screenshots [nodes]   docs/viewer-small.png, docs/viewer-large.png
//                                                                   (an in-process node)
//   node --import=tsx test/viewer/capture.ts first-start            docs/viewer-logseq.png: what a
//                                                                   newcomer sees after `npm start`
//
// VF_CHROMIUM_ARGS (space-separated) replaces the software-WebGL flags, e.g. on a GPU machine.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** `npm start` on a fresh data folder (so it imports the Logseq docs), the printed URL opened. */
async function firstStart(file: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vf-capture-'));
  const node = spawn(process.execPath, ['--import=tsx', 'src/cli/start.ts'], {
    env: { ...process.env, PORT: '0', VF_DATA_DIR: join(dir, 'pglite'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 120 s: ${out}`)), 120_000);
      node.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /Open (http:\/\/\S+)/.exec(out);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      node.once('exit', (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
    });
    const browser = await launchBrowser({ width: 1280, height: 760 });
    try {
      const page = await browser.context.newPage();
      await page.goto(url);
      await waitUntil(page, 'window.visionflow?.positions.count > 1000', 60_000);
      await sleep(12_000);
      await probe(page, 'window.visionflow.frameAll()');
      await sleep(3_000);
      await writeFile(file, await page.screenshot());
      console.log(JSON.stringify({ file, state: await probe<ViewerProbe>(page, VIEWER_PROBE) }));
    } finally {
      await browser.close();
    }
  } finally {
    node.kill('SIGTERM');
    await new Promise((resolve) => node.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

const [what, ...rest] = process.argv.slice(2);
if (what === 'screenshots') {
  await screenshot(80, 'docs/viewer-small.png', 6_000, false);
  await screenshot(Number(rest[0] ?? 2_000), 'docs/viewer-large.png', 15_000, true);
} else if (what === 'first-start') {
  await firstStart('docs/viewer-logseq.png');
} else {
  console.error('usage: capture.ts screenshots [nodes] | first-start');
  process.exit(2);
}
process.exit(0);
