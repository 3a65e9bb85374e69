// The viewer's frame rate at scale, read from its stats overlay: a node with a generated scale-free
// graph (or a server already running), Debian's chromium via playwright-core, the page left to
// render while the layout runs, then ten one-second samples of the overlay's FPS; one JSON line per
// graph size, like the bench suites print. The samples wait (up to --idle-wait-ms) for the layout to
// settle, because a server on the same machine running the layout takes CPU the browser's
// rasteriser would use; `layout` in the output says whether it had. Not a test: run by hand, on a GPU machine for the
// figures the README owes (software WebGL, SwiftShader, is what a machine without a GPU measures).
//
//   node --import=tsx scripts/viewer-fps.ts                       10k and 100k nodes, in-process node
//   node --import=tsx scripts/viewer-fps.ts --nodes 10000         one size
//   node --import=tsx scripts/viewer-fps.ts --points-above 0      force point sprites (?pointsAbove=)
//   node --import=tsx scripts/viewer-fps.ts --url 'http://host:8080/?token=...'   a running server
//
// VF_CHROMIUM (the browser binary) and VF_CHROMIUM_ARGS (space-separated flags, replacing the
// software-WebGL defaults, e.g. "--no-sandbox --use-angle=vulkan --enable-gpu-rasterization --ignore-gpu-blocklist")
// are read as the browser tests read them.
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import {
  bootViewerWorld,
  launchBrowser,
  probe,
  scaleFreeGraph,
  VIEWER_PROBE,
  waitUntil,
  type Browser,
  type ViewerProbe,
} from '../test/viewer/support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RENDERER = `(() => { const g = document.createElement('canvas').getContext('webgl2'); const e = g?.getExtension('WEBGL_debug_renderer_info');
  return g === null ? 'no webgl2' : String(e ? g.getParameter(e.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER)); })()`;

interface Options {
  readonly settleMs: number;
  readonly idleWaitMs: number;
  readonly samples: number;
  readonly pointsAbove: number | undefined;
}

/** Waits for the whole graph, lets it render, samples the overlay's FPS; prints one JSON line. */
async function measure(browser: Browser, url: string, nodes: number | undefined, o: Options): Promise<void> {
  const page: Page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    const query = o.pointsAbove === undefined ? '' : `${url.includes('?') ? '&' : '?'}pointsAbove=${o.pointsAbove}`;
    await page.goto(`${url}${query}`);
    const complete = nodes === undefined ? 'true' : `window.visionflow.positions.count === ${nodes}`;
    await waitUntil(page, `window.visionflow !== undefined && window.visionflow.positions.frames > 0 && ${complete}`, 900_000);
    await sleep(o.settleMs);
    // The overlay says 'lag idle' once no position frame came for a second: the layout sleeps.
    const idle = `document.querySelector('#stats')?.textContent?.includes('lag idle') === true`;
    const layout = await waitUntil(page, idle, o.idleWaitMs).then(
      () => 'idle',
      () => 'running',
    );
    const samples: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      await sleep(1_000);
      samples.push((await probe<ViewerProbe>(page, VIEWER_PROBE)).fps);
    }
    samples.sort((a, b) => a - b);
    const state = await probe<ViewerProbe>(page, VIEWER_PROBE);
    const mode = await probe<string>(page, `document.querySelector('#stats')?.textContent?.split('·').at(-1)?.trim() ?? ''`);
    console.log(
      JSON.stringify({
        suite: 'viewer',
        metric: `fps_${state.nodes}`,
        value: samples[Math.floor(samples.length / 2)],
        unit: 'fps',
        min: samples[0],
        max: samples.at(-1),
        nodes: state.nodes,
        edges: state.edges,
        mode,
        layout,
        renderer: await probe<string>(page, RENDERER),
        errors,
      }),
    );
  } finally {
    await page.close();
  }
}

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000,100000' },
    url: { type: 'string' },
    'points-above': { type: 'string' },
    'settle-ms': { type: 'string', default: '5000' },
    'idle-wait-ms': { type: 'string', default: '180000' },
    samples: { type: 'string', default: '10' },
  },
});
const whole = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${raw}`);
  return n;
};
const options: Options = {
  settleMs: whole('settle-ms', values['settle-ms']) ?? 5_000,
  idleWaitMs: whole('idle-wait-ms', values['idle-wait-ms']) ?? 180_000,
  samples: Math.max(1, whole('samples', values.samples) ?? 10),
  pointsAbove: whole('points-above', values['points-above']),
};

const browser = await launchBrowser({ width: 1280, height: 760 });
try {
  if (values.url !== undefined) {
    await measure(browser, values.url, undefined, options);
  } else {
    for (const raw of values.nodes.split(',')) {
      const n = whole('nodes', raw)!;
      const world = await bootViewerWorld(scaleFreeGraph(n));
      try {
        await measure(browser, `${world.base}/?token=${world.token}`, n, options);
      } finally {
        await world.close();
      }
    }
  }
} finally {
  await browser.close();
}
process.exit(0);
