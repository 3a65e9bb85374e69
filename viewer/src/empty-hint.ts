// What the page says while the graph is empty: a welcome, how to load a graph (`npm run import`,
// every format it reads) and a link to the viewer's guide, rather than an empty canvas. Shown once the server has said for SHOW_AFTER_MS that there
// are no nodes (its id table is empty, and no edge is known), so that a layout a moment behind the
// graph (a node starting, a write just made) does not flash it; hidden as soon as nodes arrive,
// shown again if the graph empties. The formats are those of src/import/run.ts FORMATS (the
// browser test checks that each is named here).
import { el } from './dom.ts';

/** The import command's other formats: the name, its argument, what it reads. */
export const OTHER_FORMATS: readonly (readonly [format: string, argument: string, reads: string])[] = [
  ['obsidian', '<vault>', 'an Obsidian vault (markdown: any folder of .md notes)'],
  ['snap', '<file>', 'an edge list, one "u v" pair a line (edgelist: the same)'],
  ['dimacs', '<file.gr>', 'a DIMACS shortest-path graph'],
  ['json', '<file.json>', 'a JSON graph: {"nodes": [...], "edges": [...]}'],
];

/** How long the graph must have been empty before the hint shows. */
export const SHOW_AFTER_MS = 600;

export class EmptyHint {
  readonly root: HTMLElement;
  private shown = false;
  private emptySince: number | undefined;
  /** How many times it has appeared (tests read it). */
  timesShown = 0;

  constructor() {
    const code = (text: string): HTMLElement => el('code', { text });
    const rows = OTHER_FORMATS.map(([format, argument, reads]) =>
      el('tr', {}, [el('td', {}, [code(`npm run import -- ${format} ${argument}`)]), el('td', { text: reads })]),
    );
    const guide = el('a', { id: 'guide-link', text: 'the viewer guide' });
    guide.href = 'help.html';
    guide.target = '_blank';
    this.root = el('div', { id: 'empty-hint' }, [
      el('p', { className: 'welcome', text: 'Welcome to VisionFlow' }),
      el('h2', { text: 'The graph is empty' }),
      el('p', {}, ['To load one, stop this node (Ctrl+C) and, in the VisionFlow folder, run']),
      el('pre', { text: 'npm run import -- logseq <folder>' }),
      el('p', {}, [
        'then ',
        code('npm start'),
        ' again and open the URL it prints (',
        code('samples/logseq-docs'),
        ' is a Logseq graph to try). Other formats:',
      ]),
      el('table', {}, rows),
      el('p', { className: 'dim', text: 'Nodes that clients or agents write over the WebSocket appear here as they arrive.' }),
      el('p', {}, [
        'New here? Read ',
        guide,
        ': finding your way around, filters, colours, paths and exports (press ',
        el('kbd', { text: '?' }),
        ' for the keys).',
      ]),
    ]);
    this.root.hidden = true;
  }

  get visible(): boolean {
    return this.shown;
  }

  /** Once per rendered frame. `empty`: the server said the graph has no nodes (not merely: nothing heard yet). */
  update(empty: boolean, now: number): void {
    if (!empty) this.emptySince = undefined;
    else this.emptySince ??= now;
    const show = this.emptySince !== undefined && now - this.emptySince >= SHOW_AFTER_MS;
    if (show === this.shown) return;
    this.shown = show;
    this.root.hidden = !show;
    if (show) this.timesShown++;
  }
}
