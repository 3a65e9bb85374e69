// "Show" on a small notes graph, in a real browser against a whole node: by default blocks fold into
// their page (the server streams pages, journals and tags, and says which block folds where), so a
// page carries its blocks' links; one switch shows the blocks; node types, agents, orphans and a
// degree range each narrow what the server streams, and the choice stays with this browser.
import test from 'ava';
import { NodeKind } from '../../src/protocol/index.ts';
import {
  bootViewerWorld,
  launchBrowser,
  openViewer,
  probe,
  waitUntil,
  type Browser,
  type NodeSpec,
  type SmallGraph,
  type ViewerWorld,
} from './support.ts';

// Pages 1-4 (Alpha without text of its own, as a Logseq page), journal 5, tag 6 (a missing page a
// #tag named), orphan pages 7 and 9, agent 8, blocks 10-19.
const PAGE = 'page';
const SPECS: Readonly<Record<number, NodeSpec>> = {
  1: { type: PAGE, title: 'Alpha', content: '' },
  2: { type: PAGE, title: 'Beta' },
  3: { type: PAGE, title: 'Gamma' },
  4: { type: PAGE, title: 'Delta' },
  5: { type: 'journal', title: 'Sep 14th, 2020' },
  6: { type: 'tag', kind: NodeKind.Concept, title: 'idea' },
  7: { type: PAGE, title: 'Lonely' },
  8: { kind: NodeKind.Agent, title: 'Scribe' },
  9: { type: PAGE, title: 'Lonely too' },
};
for (let b = 10; b <= 19; b++) (SPECS as Record<number, NodeSpec>)[b] = { type: 'block', title: `block ${b}` };

// Containment (page or block -> block) first, then the blocks' links and tags.
const EDGES: [number, number, number][] = [
  [1, 10, 1],
  [1, 11, 1],
  [10, 12, 1], // Alpha: 10, 11, and 12 nested in 10
  [2, 13, 1],
  [2, 14, 1], // Beta
  [3, 15, 1], // Gamma
  [4, 16, 1], // Delta
  [5, 17, 1],
  [5, 18, 1],
  [17, 19, 1], // the journal
  [12, 2, 1], // Alpha's nested block links to Beta
  [11, 3, 1],
  [13, 3, 1], // Alpha and Beta link to Gamma
  [14, 6, 1],
  [18, 6, 1], // Beta and the journal are tagged #idea
  [19, 1, 1], // the journal links to Alpha
  [8, 4, 1], // the agent works on Delta
];

const NOTES: SmallGraph = { nodes: 19, edges: EDGES, directed: true, spec: (id) => SPECS[id] };
const SHOWN = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const BLOCKS = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

let world: ViewerWorld;
let browser: Browser;

test.before(async () => {
  world = await bootViewerWorld(NOTES);
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await world?.close();
});

const ids = `[...window.visionflow.positions.ids].sort((a, b) => a - b)`;
const tableIs = (list: readonly number[]): string => `JSON.stringify(${ids}) === '${JSON.stringify([...list].sort((a, b) => a - b))}'`;
/** The drawn edges as sorted id pairs. */
const PAIRS = `(() => { const v = window.visionflow; const p = v.visible.pairs; const out = [];
  for (let i = 0; i < p.length; i += 2) { const a = v.positions.ids[p[i]], b = v.positions.ids[p[i + 1]]; out.push(a < b ? [a, b] : [b, a]); }
  return out.sort((x, y) => x[0] - y[0] || x[1] - y[1]); })()`;

test.serial(
  "blocks fold into their page by default: the server streams pages only, a page carries its blocks' links and shows their text; one switch shows the blocks",
  async (t) => {
    const { page, errors } = await openViewer(browser, world);
    t.teardown(async () => {
      await page.evaluate('localStorage.clear()');
      await page.close();
    });
    await waitUntil(
      page,
      `window.visionflow?.conn.state === 'open' && window.visionflow.positions.frames > 0 && window.visionflow.graph.edges.size === ${EDGES.length}`,
      60_000,
    );
    await waitUntil(page, `${tableIs(SHOWN)} && window.visionflow.positions.foldedInto.size === ${BLOCKS.length}`, 20_000);
    const folded = await probe<[number, number][]>(page, `[...window.visionflow.positions.foldedInto].sort((a, b) => a[0] - b[0])`);
    t.deepEqual(
      folded,
      [
        [10, 1],
        [11, 1],
        [12, 1],
        [13, 2],
        [14, 2],
        [15, 3],
        [16, 4],
        [17, 5],
        [18, 5],
        [19, 5],
      ],
      'each block folds into its page, nested ones too',
    );
    await waitUntil(page, `window.visionflow.visible.edgeCount === 7`, 10_000);
    t.deepEqual(await probe<number[][]>(page, PAIRS), [
      [1, 2],
      [1, 3],
      [1, 5],
      [2, 3],
      [2, 6],
      [4, 8],
      [5, 6],
    ]);
    t.is(await probe<number>(page, `window.visionflow.visible.degreeOf(1)`), 3, 'Alpha links Beta, Gamma and the journal');
    t.deepEqual(await probe<string[]>(page, `window.visionflow.positions.typeNames.slice().sort()`), [
      '',
      'block',
      'journal',
      'page',
      'tag',
    ]);
    // The canvas names the pages; no block is drawn.
    await waitUntil(
      page,
      `[...document.querySelectorAll('#labels .label')].some((l) => l.textContent === 'Alpha' && l.style.display !== 'none')`,
      15_000,
    );
    t.false(
      await probe<boolean>(
        page,
        `[...document.querySelectorAll('#labels .label')].some((l) => l.textContent.startsWith('block') && l.style.display !== 'none')`,
      ),
    );
    t.is(await probe<number>(page, `window.visionflow.positions.ids.filter((id) => id >= 10).length`), 0, 'no block in the stream');

    // A page's side panel reads its folded blocks, in the notes' order and nesting.
    await probe(page, `window.visionflow.select(1, false)`);
    await waitUntil(page, `document.querySelectorAll('#node-panel .content.blocks .block').length === 3`, 15_000);
    const blocks = await probe<[number, string, string][]>(
      page,
      `[...document.querySelectorAll('#node-panel .content.blocks .block')].map((b) => [Number(b.dataset.id), b.style.marginLeft, b.textContent])`,
    );
    t.deepEqual(
      blocks.map(([id, indent]) => [id, indent]),
      [
        [10, '0px'],
        [12, '12px'],
        [11, '0px'],
      ],
    );
    t.regex(blocks[1]![2], /^Notes on node 12: what it links to, and why\. Markdown shows as typed\.$/);
    t.regex((await page.locator('#node-panel h3', { hasText: 'Content' }).textContent()) ?? '', /3 blocks/);
    await page.keyboard.press('Escape');
    await page.locator('#show-blocks').check();
    await waitUntil(page, tableIs([...SHOWN, ...BLOCKS]), 20_000);
    await waitUntil(page, `window.visionflow.visible.edgeCount === ${EDGES.length}`, 10_000);
    t.is(await probe<number>(page, `window.visionflow.positions.foldedInto.size`), 0);
    t.is(
      await probe<number>(page, `window.visionflow.visible.degreeOf(1)`),
      3,
      "unfolded, Alpha has its two blocks and the journal block's link",
    );
    await page.locator('#show-blocks').uncheck();
    await waitUntil(page, tableIs(SHOWN), 20_000);
    t.deepEqual(errors, []);
  },
);

test.serial('types, agents, orphans and a degree range each narrow what the server streams, and stay with this browser', async (t) => {
  const { page, errors } = await openViewer(browser, world);
  t.teardown(async () => {
    await page.evaluate('localStorage.clear()');
    await page.close();
  });
  await waitUntil(page, `window.visionflow?.conn.state === 'open' && ${tableIs(SHOWN)}`, 60_000);
  const boxes = await probe<string[]>(page, `[...document.querySelectorAll('#filters-panel input[data-type]')].map((i) => i.dataset.type)`);
  t.deepEqual(boxes.sort(), ['', 'journal', 'page', 'tag']);

  await page.locator('#filters-panel input[data-type="journal"]').uncheck();
  await waitUntil(page, tableIs([1, 2, 3, 4, 6, 7, 8, 9]), 20_000);
  await page.locator('#filters-panel input[data-type="tag"]').uncheck();
  await waitUntil(page, tableIs([1, 2, 3, 4, 7, 8, 9]), 20_000);
  await page.locator('#show-agents').uncheck();
  await waitUntil(page, tableIs([1, 2, 3, 4, 7, 9]), 20_000);
  await page.locator('#show-orphans').uncheck();
  await waitUntil(page, tableIs([1, 2, 3, 4]), 20_000);
  // Folded degrees: Alpha 3, Beta 3, Gamma 2, Delta 1 (the agent), whatever is hidden.
  await page.locator('#min-degree').fill('3');
  await page.locator('#min-degree').dispatchEvent('change');
  await waitUntil(page, tableIs([1, 2]), 20_000);
  await page.locator('#max-degree').fill('2');
  await page.locator('#max-degree').dispatchEvent('change');
  t.is(await probe<number>(page, `window.visionflow.local.value.maxDegree`), 2);
  await waitUntil(page, tableIs([1, 2]), 5_000);

  // The choices are this browser's: a reload asks the server for the same view.
  await page.reload();
  await waitUntil(page, `window.visionflow?.conn.state === 'open' && window.visionflow.positions.epoch >= 0`, 60_000);
  await waitUntil(page, tableIs([1, 2]), 20_000);
  t.false(await page.locator('#show-orphans').isChecked());
  t.false(await page.locator('#filters-panel input[data-type="journal"]').isChecked());
  t.deepEqual(errors, []);
});
