// The viewer on an empty graph, in a real browser against a whole node booted in-process: the page
// welcomes the newcomer and says how to load a graph (the import command and every format it
// reads), with a link to the viewer's guide, instead of showing an empty canvas; a node written by a
// client hides the hint, and removing it brings the hint back. Opened without a token, or with one
// that expired, the page says in HTML how to get an address that works.
import test from 'ava';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { FORMATS } from '../../src/import/run.ts';
import { COMPUTE_PATHS } from '../../src/supervisors/app-tree.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import { GraphBatchT, HandshakeT, Payload, type ErrorReplyT, type GraphUpdateT } from '../../src/protocol/index.ts';
import { addNode, node, removeNode } from '../fixtures/graph-port.ts';
import { Client, KEY } from '../gateway/support.ts';
import { bootViewerWorld, launchBrowser, openViewer, probe, waitUntil, type Browser, type ViewerWorld } from './support.ts';

let world: ViewerWorld;
let browser: Browser;

test.before(async () => {
  world = await bootViewerWorld({ nodes: 0, edges: [] });
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await world?.close();
});

/** A client that writes to the graph as any other would, over the WebSocket. */
async function writer(): Promise<{ write(...updates: GraphUpdateT[]): Promise<void>; close(): void }> {
  const client = await Client.open(`ws://127.0.0.1:${world.node.address.port}/ws`);
  client.send(new HandshakeT(world.token, 0, 0n, 'empty-graph-test', null));
  await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 10_000);
  return {
    async write(...updates) {
      const seq = client.send(new GraphBatchT(updates));
      await client.waitFor(
        () => [...client.of(Payload.Ack), ...client.of(Payload.ErrorReply)].some((e) => Number(e.correlationId) === seq),
        15_000,
      );
      const refused = client.of(Payload.ErrorReply).find((e) => Number(e.correlationId) === seq);
      if (refused !== undefined) throw new Error(`write refused: ${String((refused.payload as ErrorReplyT).message)}`);
    },
    close: () => client.ws.terminate(),
  };
}

const hintShown = `(() => { const h = document.querySelector('#empty-hint'); return h !== null && !h.hidden && h.getBoundingClientRect().height > 0; })()`;
const hintGone = `(() => { const h = document.querySelector('#empty-hint'); return h !== null && h.hidden && h.getBoundingClientRect().height === 0; })()`;

test.serial(
  'an empty graph shows how to load one; a node arriving hides it, and the hint returns when the graph empties again',
  async (t) => {
    const started = Date.now();
    const { page, errors } = await openViewer(browser, world);
    t.teardown(() => page.close());
    await waitUntil(page, `window.visionflow?.conn.state === 'open'`, 30_000);
    await waitUntil(page, hintShown, 15_000);
    t.log(`hint shown ${Date.now() - started} ms after the page was opened`);
    const text = (await page.locator('#empty-hint').innerText()).replace(/\s+/g, ' ');
    t.regex(text, /The graph is empty/);
    t.regex(text, /npm run import -- logseq <folder>/);
    t.regex(text, /npm start/);
    for (const format of FORMATS) t.true(new RegExp(`\\b${format}\\b`).test(text), `the hint names the "${format}" format`);
    t.regex(text, /Welcome to VisionFlow/i);
    t.is(await page.locator('#empty-hint a#guide-link').getAttribute('href'), 'help.html');
    t.is(await probe<number>(page, 'window.visionflow.positions.count'), 0);
    // The hint sits over the canvas, inside the viewport.
    const box = await page.locator('#empty-hint').boundingBox();
    t.truthy(box);
    t.true(box!.x >= 0 && box!.y >= 0 && box!.x + box!.width <= 800 && box!.y + box!.height <= 560, JSON.stringify(box));

    const w = await writer();
    t.teardown(() => w.close());
    await w.write(addNode(node(42, 'The first node')));
    await waitUntil(page, `window.visionflow.positions.count === 1`, 30_000);
    await waitUntil(page, hintGone, 5_000);
    t.false(await probe<boolean>(page, 'window.visionflow.emptyHint.visible'));

    await w.write(removeNode(42));
    await waitUntil(page, `window.visionflow.positions.count === 0`, 30_000);
    await waitUntil(page, hintShown, 5_000);
    t.is(await probe<number>(page, 'window.visionflow.emptyHint.timesShown'), 2);
    t.deepEqual(errors, []);
  },
);

test.serial('a page opened on a graph with nodes never shows the hint', async (t) => {
  const w = await writer();
  t.teardown(() => w.close());
  await w.write(addNode(node(7, 'Seven')));
  // Opened once the server's layout holds the node (the stream may still send one empty table
  // from the frame before: the hint waits SHOW_AFTER_MS before it shows).
  const physics = world.node.system.lookup<PhysicsMsg>(COMPUTE_PATHS.physics)!;
  for (const until = Date.now() + 15_000; ;) {
    const stats = await world.node.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 5_000);
    if (stats.nodes === 1) break;
    if (Date.now() > until) return t.fail(`the layout holds ${stats.nodes} nodes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { page, errors } = await openViewer(browser, world);
  t.teardown(() => page.close());
  await waitUntil(page, `window.visionflow?.positions.count === 1`, 30_000);
  await page.waitForTimeout(500);
  t.is(await probe<number>(page, 'window.visionflow.emptyHint.timesShown'), 0, 'not even for a moment while connecting');
  t.true(await probe<boolean>(page, hintGone));
  t.deepEqual(errors, []);
});

test.serial(
  'the guide the welcome links to opens; without a token, or with an expired one, the page says how to get a new address',
  async (t) => {
    const { page, errors } = await openViewer(browser, world);
    t.teardown(() => page.close());
    await waitUntil(page, `window.visionflow?.conn.state === 'open'`, 30_000);
    // The guide is served beside the viewer, with the page's cookie.
    const guide = await page.goto(`${world.base}/help.html`);
    t.is(guide?.status(), 200);
    t.regex(await page.locator('#guide').innerText(), /Loading your own graph[\s\S]*npm run import -- logseq/);

    await browser.context.clearCookies();
    const none = await page.goto(`${world.base}/`);
    t.is(none?.status(), 401);
    t.is(none?.headers()['content-type'], 'text/html; charset=utf-8');
    t.is(await page.title(), 'VisionFlow: a new address is needed');
    t.is(await page.locator('#why').textContent(), 'This address has no access token.');
    const help = (await page.locator('#token-help').innerText()).replace(/\s+/g, ' ');
    for (const words of ['npm start', 'Open http://localhost:8080/?token=', 'npm run token -- --role viewer', 'POST /api/tokens'])
      t.true(help.includes(words), words);

    const past = new TokenAuthority(KEY, () => Date.now() - 2 * 3600_000);
    const expired = past.mint({ sub: 'old', role: 'viewer', ttlSeconds: 60 });
    const old = await page.goto(`${world.base}/?token=${expired}`);
    t.is(old?.status(), 401);
    t.is(await page.locator('#why').textContent(), 'The access token in this address has expired.');
    t.is(await page.locator('script').count(), 0, 'the page runs nothing');
    t.deepEqual(
      errors.filter((e) => !/401/.test(e)),
      [],
    );
  },
);
