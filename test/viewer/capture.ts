// Screenshots for the docs, in the Chromium the browser tests use (not a test: run by hand).
// Frame-rate figures: scripts/viewer-fps.ts.
//
//   node --import=tsx test/viewer/capture.ts screenshots [nodes]   docs/viewer-small.png, docs/viewer-large.png
//                                                                   (an in-process node)
//   node --import=tsx test/viewer/capture.ts first-start            docs/viewer-logseq.png: what a newcomer
//                                                                   sees after `npm start` (the Logseq docs,
//                                                                   blocks folded into their pages)
//   node --import=tsx test/viewer/capture.ts focus                  docs/viewer-focus.png: the best-linked page
//                                                                   selected, its neighbourhood in focus
//   node --import=tsx test/viewer/capture.ts path                   docs/viewer-path.png: a shortest path between
//                                                                   two pages, drawn and listed
//   node --import=tsx test/viewer/capture.ts facebook               docs/viewer-facebook.png: SNAP ego-Facebook
//                                                                   (`npm run import -- snap`), coloured by community
//   node --import=tsx test/viewer/capture.ts docs                   the last four
//
// VF_CHROMIUM_ARGS (space-separated) replaces the software-WebGL flags, e.g. on a GPU machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bootViewerWorld, launchBrowser, openViewer, probe, scaleFreeGraph, VIEWER_PROBE, waitUntil, type ViewerProbe } from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VIEWPORT = { width: 1280, height: 760 };

async function screenshot(nodes: number, file: string, settleMs: number, sssp: boolean): Promise<void> {
  const graph = scaleFreeGraph(nodes);
  const world = await bootViewerWorld(graph);
  const browser = await launchBrowser(VIEWPORT);
  try {
    const { page, errors } = await openViewer(browser, world);
    await waitUntil(
      page,
      `window.visionflow?.positions.count === ${nodes} && window.visionflow.graph.edges.size === ${graph.edges.length}`,
      180_000,
    );
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
      await waitUntil(
        page,
        `document.querySelector('#node-panel')?.dataset.node === '${far}' && !document.querySelector('#sssp-to').disabled`,
        30_000,
      );
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

interface Started {
  readonly url: string;
  readonly node: ChildProcess;
}

/** `npm start` with this environment; resolves with the URL it prints. */
async function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const node = spawn(process.execPath, ['--import=tsx', 'src/cli/start.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 180 s: ${out}`)), 180_000);
    node.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /Open (http:\/\/\S+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    node.once('exit', (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
  });
  return { url, node };
}

async function stop(node: ChildProcess): Promise<void> {
  if (node.exitCode !== null) return;
  node.kill('SIGTERM');
  await new Promise((resolve) => node.once('exit', resolve));
}

/** A fresh data folder, a node on it (after `prepare`), the page opened and settled; `shoot` takes it from there. */
async function withNode(
  env: NodeJS.ProcessEnv,
  prepare: (dataDir: string) => Promise<void>,
  settled: string,
  shoot: (page: Page) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vf-capture-'));
  const dataDir = join(dir, 'pglite');
  try {
    await prepare(dataDir);
    const { url, node } = await start({ VF_DATA_DIR: dataDir, ...env });
    try {
      const browser = await launchBrowser(VIEWPORT);
      try {
        const page = await browser.context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await waitUntil(page, settled, 180_000);
        // The layout settles (the stats overlay says 'idle' once no frame came for a second).
        await waitUntil(page, `document.querySelector('#stats')?.textContent?.includes('lag idle') === true`, 120_000).catch(
          () => undefined,
        );
        await probe(page, 'window.visionflow.frameAll()');
        await sleep(2_000);
        await shoot(page);
        if (errors.length > 0) console.error(JSON.stringify({ errors }));
      } finally {
        await browser.close();
      }
    } finally {
      await stop(node);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function save(page: Page, file: string): Promise<void> {
  await writeFile(file, await page.screenshot());
  console.log(
    JSON.stringify({
      file,
      state: await probe<ViewerProbe>(page, VIEWER_PROBE),
      legend: await probe<string>(page, `document.querySelector('#legend h3')?.textContent ?? ''`),
    }),
  );
}

/** The shown node with the most links on the drawn graph. */
const TOP = `(() => { const v = window.visionflow; let best = v.positions.ids[0], d = -1;
  for (const id of v.positions.ids) { const k = v.visible.degreeOf(id); if (k > d) { d = k; best = id; } } return best; })()`;

const LOGSEQ_SETTLED = 'window.visionflow?.positions.count > 500 && window.visionflow.visible.edgeCount > 500';

/** `npm start` on a fresh data folder (so it imports the Logseq docs), the printed URL opened. */
async function logseq(what: 'overview' | 'focus' | 'path'): Promise<void> {
  await withNode(
    {},
    async () => undefined,
    LOGSEQ_SETTLED,
    async (page) => {
      if (what === 'overview') return save(page, 'docs/viewer-logseq.png');
      const top = await probe<number>(page, TOP);
      if (what === 'focus') {
        await probe(page, `window.visionflow.select(${top}, true)`);
        await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${top}'`, 30_000);
        await sleep(2_500);
        return save(page, 'docs/viewer-focus.png');
      }
      // From the best-linked page to the page farthest from it, following links both ways.
      await probe(page, `window.visionflow.select(${top}, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${top}'`, 30_000);
      await page.locator('#sssp-undirected').check();
      await page.locator('#sssp-from').click();
      await waitUntil(page, `window.visionflow.sssp.hasResult && window.visionflow.sssp.ignoreDirection`, 60_000);
      await sleep(1_000);
      const far = await probe<number>(
        page,
        `(() => { const v = window.visionflow; let best, d = -1;
      for (const id of v.positions.ids) { const k = v.sssp.distanceOf(id); if (k !== undefined && k > d && v.positions.typeOf(id) === 'page') { d = k; best = id; } } return best; })()`,
      );
      await probe(page, `window.visionflow.select(${far}, false)`);
      await waitUntil(page, `document.querySelector('#node-panel')?.dataset.node === '${far}'`, 30_000);
      await page.locator('#sssp-to').click();
      await waitUntil(page, `document.querySelectorAll('#path-hops li').length > 2`, 30_000);
      // The viewer flies to fit a path it draws.
      await sleep(3_000);
      return save(page, 'docs/viewer-path.png');
    },
  );
}

/** SNAP ego-Facebook imported with `npm run import -- snap`, coloured by community. */
async function facebook(): Promise<void> {
  const imported = async (dataDir: string): Promise<void> => {
    const run = spawn(process.execPath, ['--import=tsx', 'src/cli/import.ts', 'snap', 'samples/graphs/facebook_combined.txt'], {
      env: { ...process.env, VF_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    run.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    run.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    if (code !== 0) throw new Error(`import exited with ${code}: ${out}`);
    console.log(out.trim());
  };
  await withNode(
    { VF_DEMO: '0' },
    imported,
    'window.visionflow?.positions.count === 4039 && window.visionflow.visible.edgeCount > 80000',
    async (page) => {
      await probe(page, `window.visionflow.local.set({ colourBy: 'community' })`);
      await waitUntil(page, `document.querySelector('#legend h3')?.textContent === 'Colour: community'`, 60_000);
      await sleep(3_000);
      await save(page, 'docs/viewer-facebook.png');
    },
  );
}

const [what, ...rest] = process.argv.slice(2);
if (what === 'screenshots') {
  await screenshot(80, 'docs/viewer-small.png', 6_000, false);
  await screenshot(Number(rest[0] ?? 2_000), 'docs/viewer-large.png', 15_000, true);
} else if (what === 'first-start') {
  await logseq('overview');
} else if (what === 'focus' || what === 'path') {
  await logseq(what);
} else if (what === 'facebook') {
  await facebook();
} else if (what === 'docs') {
  await logseq('overview');
  await logseq('focus');
  await logseq('path');
  await facebook();
} else {
  console.error('usage: capture.ts screenshots [nodes] | first-start | focus | path | facebook | docs');
  process.exit(2);
}
process.exit(0);
