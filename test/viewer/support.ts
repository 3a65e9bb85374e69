// The browser tests' world: a whole node booted in-process (in-memory PGlite, as test/node does),
// a small graph written to it over the WebSocket, the viewer built when stale, and Chromium
// (chromium-binary.ts says which) driven by playwright-core. Pixel checks run inside the page on a
// screenshot decoded by a 2D canvas (no PNG library needed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import { HandshakeT, NodeKind, Payload, type ErrorReplyT } from '../../src/protocol/index.ts';
import type { Store } from '../../src/storage/open-store.ts';
import { addEdge, addNode, batch, KeyValueT, node } from '../fixtures/graph-port.ts';
import { memoryPgliteStore } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';
import { ensureViewerBuilt } from '../../scripts/build-viewer.mjs';
import { chromiumBinary } from './chromium-binary.ts';

export interface ViewerWorld {
  readonly node: RunningNode;
  readonly store: Store;
  readonly tokens: TokenAuthority;
  readonly base: string;
  readonly token: string;
  close(): Promise<void>;
}

/** What a test graph's node is, where it differs from the default (see bootViewerWorld). */
export interface NodeSpec {
  readonly kind?: NodeKind;
  readonly type?: string;
  readonly title?: string;
  readonly metadata?: readonly (readonly [string, string])[];
  readonly content?: string;
}

export interface SmallGraph {
  readonly nodes: number;
  readonly edges: readonly (readonly [number, number, number])[];
  /** Every edge from its first node to its second only (default: both ways). */
  readonly directed?: boolean;
  /** Nodes unlike the default ones (agents, concepts and knowledge nodes by id); a knowledge node unless it says. */
  readonly spec?: (id: number) => NodeSpec | undefined;
}

/**
 * n nodes (ids 1..n; every 7th an agent with a status and a task, every 5th a concept; each with
 * a line of notes, node 3's holding markup the viewer must show as text) on a ring with chords.
 */
export function ringGraph(n: number): SmallGraph {
  const edges: [number, number, number][] = [];
  for (let i = 1; i <= n; i++) edges.push([i, (i % n) + 1, 1 + (i % 3)]);
  for (let i = 1; i <= n; i += 4) edges.push([i, ((i + n / 2 - 1) % n) + 1, 4]);
  return { nodes: n, edges };
}

/**
 * A scale-free-ish graph of n nodes: each new node links to one or two earlier nodes picked in
 * proportion to their degree (deterministic for a seed).
 */
export function scaleFreeGraph(n: number, seed = 7): SmallGraph {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const edges: [number, number, number][] = [];
  const ends: number[] = [1];
  for (let id = 2; id <= n; id++) {
    const links = random() < 0.3 ? 2 : 1;
    const picked = new Set<number>();
    for (let k = 0; k < links; k++) picked.add(ends[Math.floor(random() * ends.length)]!);
    for (const p of picked) {
      edges.push([id, p, 1 + Math.floor(random() * 4)]);
      ends.push(id, p);
    }
  }
  return { nodes: n, edges };
}

const SEED_CHUNK = 2_000;

/** The node whose content is markup that would run script if the viewer ever rendered it as HTML. */
export const HOSTILE_CONTENT_NODE = 3;
export const HOSTILE_CONTENT = 'Notes on node 3: <img src=x onerror="window.__xss=1"> *markdown*';

export async function bootViewerWorld(graph: SmallGraph): Promise<ViewerWorld> {
  await ensureViewerBuilt();
  const store = await memoryPgliteStore();
  const tokens = new TokenAuthority(KEY);
  const node1 = await bootNode({
    name: 'viewer-e2e',
    host: '127.0.0.1',
    port: 0,
    store,
    tokens,
    shards: 2,
    physics: { engines: 'serial' },
  });
  const token = tokens.mint({ sub: 'viewer-test', role: 'admin', ttlSeconds: 3600 });
  const base = `http://127.0.0.1:${node1.address.port}`;
  const client = await Client.open(`ws://127.0.0.1:${node1.address.port}/ws`);
  try {
    client.send(new HandshakeT(token, 0, 0n, 'seed', null));
    await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 10_000);
    // In chunks, each one unit: the edges after all the nodes they join.
    const ops = [];
    for (let id = 1; id <= graph.nodes; id++) {
      const agent = id % 7 === 0;
      const kind = agent ? NodeKind.Agent : id % 5 === 0 ? NodeKind.Concept : NodeKind.Knowledge;
      const metadata = agent ? [new KeyValueT('status', 'working'), new KeyValueT('task', `Summarise node ${id - 1}`)] : [];
      const content =
        id === HOSTILE_CONTENT_NODE ? HOSTILE_CONTENT : `Notes on node ${id}: what it links to, and why. *Markdown* shows as typed.`;
      const spec = graph.spec?.(id);
      ops.push(
        addNode(
          spec === undefined
            ? node(id, `Node ${id}`, { kind, metadata, content })
            : node(id, spec.title ?? `Node ${id}`, {
                kind: spec.kind ?? NodeKind.Knowledge,
                type: spec.type ?? null,
                metadata: (spec.metadata ?? []).map(([k, v]) => new KeyValueT(k, v)),
                content: spec.content ?? content,
              }),
        ),
      );
    }
    graph.edges.forEach(([s, t, w], i) => ops.push(addEdge(BigInt(100 + i), s, t, w, graph.directed === true)));
    for (let from = 0; from < ops.length; from += SEED_CHUNK) {
      const mutation = batch(...ops.slice(from, from + SEED_CHUNK));
      if (mutation.kind !== 'batch') throw new Error('expected a batch');
      const seq = client.send(mutation.batch);
      await client.waitFor(
        () => [...client.of(Payload.Ack), ...client.of(Payload.ErrorReply)].some((e) => Number(e.correlationId) === seq),
        60_000,
      );
      const refused = client.of(Payload.ErrorReply).find((e) => Number(e.correlationId) === seq);
      if (refused !== undefined) throw new Error(`seeding refused: ${String((refused.payload as ErrorReplyT).message)}`);
    }
  } finally {
    client.ws.terminate();
  }
  return {
    node: node1,
    store,
    tokens,
    base,
    token,
    async close() {
      await node1.system.terminate();
      await store.close();
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 800, height: 560 }): Promise<Browser> {
  const binary = await chromiumBinary();
  const dir = await mkdtemp(join(tmpdir(), 'vf-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: binary.executablePath,
    headless: true,
    args: process.env.VF_CHROMIUM_ARGS?.split(' ').filter((a) => a !== '') ?? [...binary.args],
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  readonly errors: string[];
}

export async function openViewer(browser: Browser, world: ViewerWorld, query = ''): Promise<OpenedPage> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${world.base}/?token=${world.token}${query}`);
  return { page, errors };
}

/** Evaluates an expression in the page (a string: the test code has no DOM types). */
export function probe<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

export async function waitUntil(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs, polling: 100 });
}

export interface PixelStats {
  readonly width: number;
  readonly height: number;
  /** Pixels further than 24 (of 255, per channel sum) from the background colour. */
  readonly foreground: number;
  /** Warm pixels (red well above blue): the SSSP ramp's near end, absent from the kind palette. */
  readonly warm: number;
  /** Bright pixels (channel sum above 330): lit nodes, not dimmed ones or edges. */
  readonly bright: number;
  readonly distinctColours: number;
}

/** A screenshot of the canvas alone: the page's overlays (labels, panels) hidden for it. */
async function sceneShot(page: Page): Promise<Buffer> {
  await probe(
    page,
    `(() => { const ui = document.querySelector('#ui'); if (ui) { ui.dataset.shot = ui.style.visibility; ui.style.visibility = 'hidden'; } })()`,
  );
  try {
    return await page.locator('#scene').screenshot();
  } finally {
    await probe(page, `(() => { const ui = document.querySelector('#ui'); if (ui) ui.style.visibility = ui.dataset.shot ?? ''; })()`);
  }
}

/**
 * Pixels of the canvas whose hue is that of each colour (chromaticity within 0.04, bright enough to
 * be a node rather than the background): shading changes brightness, not hue.
 */
export async function pixelsOfColours(page: Page, colours: readonly (readonly [number, number, number])[]): Promise<number[]> {
  const png = await sceneShot(page);
  const script = `(async () => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png.toString('base64'))}), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = c.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const want = ${JSON.stringify(colours)}.map(([r, gr, b]) => { const s = r + gr + b || 1; return [r / s, gr / s, b / s]; });
    const counts = want.map(() => 0);
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i], gr = d[i + 1], b = d[i + 2], s = r + gr + b;
      if (s < 150) continue;
      want.forEach((w, k) => { if (Math.abs(r / s - w[0]) < 0.04 && Math.abs(gr / s - w[1]) < 0.04 && Math.abs(b / s - w[2]) < 0.04) counts[k]++; });
    }
    return counts;
  })()`;
  return probe<number[]>(page, script);
}

/** Screenshot of the canvas only (overlays hidden), analysed in the page. */
export async function canvasPixels(page: Page, background: readonly [number, number, number] = [15, 20, 25]): Promise<PixelStats> {
  const png = await sceneShot(page);
  const script = `(async () => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png.toString('base64'))}), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = c.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const bg = ${JSON.stringify(background)};
    let foreground = 0, warm = 0, bright = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i], gr = d[i + 1], b = d[i + 2];
      if (Math.abs(r - bg[0]) + Math.abs(gr - bg[1]) + Math.abs(b - bg[2]) > 24) foreground++;
      if (r > 120 && r > b + 70) warm++;
      if (r + gr + b > 330) bright++;
      colours.add((r >> 4) << 8 | (gr >> 4) << 4 | (b >> 4));
    }
    return { width: bitmap.width, height: bitmap.height, foreground, warm, bright, distinctColours: colours.size };
  })()`;
  return probe<PixelStats>(page, script);
}

/** What the viewer holds, read from window.visionflow. */
export interface ViewerProbe {
  readonly state: string;
  readonly frames: number;
  readonly nodes: number;
  readonly edges: number;
  readonly fps: number;
}

export const VIEWER_PROBE = `(() => { const v = window.visionflow; return v === undefined ? undefined : {
  state: v.conn.state, frames: v.positions.frames, nodes: v.positions.count, edges: v.graph.edges.size,
  fps: Number(document.querySelector('#stats')?.dataset.fps ?? 0) }; })()`;
