// The selected node: title, an agent's status and current task, its degree, its content rendered as
// markdown (markdown.ts: a safe subset, no markup), its properties as a table, the path actions
// (start here, end here, clear, ignore direction) and the hops of the path shown with their
// distances, isolate, and its neighbours, 50 at a time, each a link that opens it. Every string in
// it comes from outside and goes in as text, never as markup.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import { el } from './dom.ts';
import { renderMarkdown } from './markdown.ts';
import { MAX_PAGE_BLOCKS, type PageBlock } from './page-blocks.ts';

export interface SidePanelActions {
  select(id: number): void;
  /** The path starts here (distances from this node). */
  distancesFrom(id: number): void;
  /** The path ends here. */
  pathTo(id: number): void;
  clearPaths(): void;
  /** Shortest paths follow every edge both ways (on) or directed edges one way only (off). */
  setIgnoreDirection(on: boolean): void;
  setIsolate(on: boolean, hops: number): void;
  /** A [[page]] or #tag in the content. */
  openPage(title: string): void;
  /** Titles of these nodes (the neighbours' page being shown). */
  views(ids: readonly number[]): Promise<ReadonlyMap<number, GraphNodeView>>;
  /** These nodes with their content (a page's folded blocks). */
  contents(ids: readonly number[]): Promise<ReadonlyMap<number, GraphNodeView>>;
}

/** Content characters the panel asks for and shows (the HTTP API says how long the whole is). */
export const PANEL_CONTENT_CHARS = 4_000;
/** Neighbours listed per page. */
export const NEIGHBOUR_PAGE = 50;

export interface PathHop {
  readonly id: number;
  readonly title: string;
  readonly distance: number | undefined;
}

export interface PanelExtras {
  readonly source: number | undefined;
  readonly target: number | undefined;
  readonly distance: number | undefined;
  /** The state of the "ignore direction" toggle. */
  readonly ignoreDirection: boolean;
  /** An agent's status and task, one line. */
  readonly agent?: string;
  /** Degree on the drawn graph (folded: distinct linked pages). */
  readonly degree: number;
  /** Every neighbour on the drawn graph, in edge order. */
  readonly neighbours: readonly number[];
  /** The shown path from its start to its end. */
  readonly path: readonly PathHop[];
  readonly isolate: boolean;
  readonly isolateHops: number;
  /** A page's blocks folded into it, in reading order: its content, where it has none of its own. */
  readonly blocks: readonly PageBlock[];
}

function contentBlock(view: GraphNodeView, openPage: (title: string) => void): HTMLElement[] {
  const content = view.content;
  if (content === undefined || content === '') return [];
  const text = content.length > PANEL_CONTENT_CHARS ? content.slice(0, PANEL_CONTENT_CHARS) : content;
  const whole = Math.max(view.contentLength ?? content.length, content.length);
  const more = whole - text.length;
  const box = el('div', { className: 'content' });
  box.append(renderMarkdown(text, { openPage }));
  return [
    el('h3', { text: 'Content' }),
    box,
    ...(more > 0 ? [el('p', { className: 'more', text: `… ${more.toLocaleString('en')} more characters` })] : []),
  ];
}

export class SidePanel {
  readonly root = el('aside', { id: 'node-panel' });
  private shown: number | undefined;
  /** Neighbour pages open for the node shown. */
  private pages = 1;
  private render = 0;

  constructor(private readonly actions: SidePanelActions) {
    this.root.hidden = true;
  }

  get nodeId(): number | undefined {
    return this.shown;
  }

  hide(): void {
    this.shown = undefined;
    this.root.hidden = true;
  }

  show(view: GraphNodeView, extras: PanelExtras): void {
    if (this.shown !== view.id) this.pages = 1;
    this.shown = view.id;
    const render = ++this.render;
    this.root.hidden = false;
    this.root.dataset.node = String(view.id);
    const a = this.actions;
    const rows: [string, string][] = [
      ['id', String(view.id)],
      ['kind', view.kind],
      ...(view.type === undefined ? [] : [['type', view.type] as [string, string]]),
    ];
    if (extras.distance !== undefined) rows.push(['distance from the start', extras.distance.toFixed(2)]);
    const meta = Object.entries(view.metadata ?? {});
    const table = (entries: readonly [string, string][], className: string): HTMLElement =>
      el(
        'table',
        { className },
        entries.map(([k, v]) => el('tr', {}, [el('th', { text: k }), el('td', { text: v })])),
      );

    const from = el('button', {
      id: 'sssp-from',
      text: 'Start here',
      title: 'Paths start at this node: every node is coloured by its distance from it',
    });
    from.addEventListener('click', () => a.distancesFrom(view.id));
    const to = el('button', { id: 'sssp-to', text: 'End here', title: 'Draw the shortest path from the start to this node' });
    to.disabled = extras.source === view.id;
    to.addEventListener('click', () => a.pathTo(view.id));
    const clear = el('button', { id: 'sssp-clear', text: 'Clear path' });
    clear.disabled = extras.source === undefined && extras.target === undefined;
    clear.addEventListener('click', () => a.clearPaths());
    const undirected = el('input', { id: 'sssp-undirected' });
    undirected.type = 'checkbox';
    undirected.checked = extras.ignoreDirection;
    undirected.addEventListener('change', () => a.setIgnoreDirection(undirected.checked));
    const toggle = el('label', { className: 'toggle', title: 'Follow links both ways, whichever way they point' }, [
      undirected,
      ' ignore direction',
    ]);
    const isolate = el('input', { id: 'isolate' });
    isolate.type = 'checkbox';
    isolate.checked = extras.isolate;
    const hops = el('select', { id: 'isolate-hops', title: 'How many links away the isolated neighbourhood reaches' });
    for (let h = 1; h <= 3; h++) hops.append(el('option', { text: String(h) }));
    hops.value = String(extras.isolateHops);
    isolate.addEventListener('change', () => a.setIsolate(isolate.checked, Number(hops.value)));
    hops.addEventListener('change', () => a.setIsolate(isolate.checked, Number(hops.value)));
    const isolateRow = el('label', { className: 'toggle', title: 'Show only this node and its neighbours (I)' }, [
      isolate,
      ' isolate ',
      hops,
      ' hop(s)',
    ]);

    const pathBlock: HTMLElement[] = [];
    if (extras.path.length > 0) {
      const hopsList = el(
        'ol',
        { className: 'path-hops', id: 'path-hops' },
        extras.path.map((h) => {
          const link = el('a', { text: h.title });
          link.href = '#';
          link.addEventListener('click', (e) => {
            e.preventDefault();
            a.select(h.id);
          });
          const li = el('li', {}, [
            link,
            el('span', {
              className: 'dist',
              text: h.distance === undefined ? '' : ` ${h.distance.toLocaleString('en', { maximumFractionDigits: 2 })}`,
            }),
          ]);
          li.dataset.id = String(h.id);
          return li;
        }),
      );
      pathBlock.push(
        el('h3', {
          text: `Path: ${extras.path.length - 1} hop${extras.path.length === 2 ? '' : 's'}, distance ${(extras.path.at(-1)?.distance ?? 0).toLocaleString('en', { maximumFractionDigits: 2 })}`,
        }),
        hopsList,
      );
    } else if (extras.source !== undefined && extras.target !== undefined) {
      pathBlock.push(el('p', { className: 'more', text: 'No path from the start to the end.' }));
    }

    const neighbourList = el('ul', { className: 'neighbours' });
    const total = extras.neighbours.length;
    const shownCount = Math.min(total, this.pages * NEIGHBOUR_PAGE);
    const more = el('button', { id: 'neighbours-more', text: `Show ${Math.min(NEIGHBOUR_PAGE, total - shownCount)} more` });
    more.hidden = shownCount >= total;
    more.addEventListener('click', () => {
      this.pages++;
      void this.fillNeighbours(neighbourList, extras.neighbours, more, render);
    });
    const close = el('button', { className: 'close', text: '×', title: 'Close (Esc)' });
    close.addEventListener('click', () => this.hide());
    this.root.replaceChildren(
      close,
      el('h2', { text: view.title ?? `Node ${view.id}` }),
      el('p', { className: 'degree', text: `${view.type ?? view.kind} · degree ${extras.degree.toLocaleString('en')}` }),
      ...(view.kind === 'agent'
        ? [el('p', { className: 'agent', text: `Agent · ${extras.agent ?? 'status unknown · no current task'}` })]
        : []),
      el('div', { className: 'actions' }, [from, to, clear, toggle]),
      el('div', { className: 'actions' }, [isolateRow]),
      ...pathBlock,
      ...contentBlock(view, (t) => a.openPage(t)),
      ...this.blocksBlock(view, extras.blocks, render),
      el('h3', { text: 'Properties' }),
      table([...rows, ...meta], 'properties'),
      el('h3', { className: 'neighbours-title', text: `Neighbours (${total.toLocaleString('en')})` }),
      neighbourList,
      more,
    );
    void this.fillNeighbours(neighbourList, extras.neighbours, more, render);
  }

  /** A page's folded blocks: their content, indented as in the notes (the page's own text, if any, above). */
  private blocksBlock(view: GraphNodeView, blocks: readonly PageBlock[], render: number): HTMLElement[] {
    if (blocks.length === 0) return [];
    const own = view.content !== undefined && view.content !== '';
    const box = el('div', { className: 'content blocks', text: 'loading…' });
    void this.actions.contents(blocks.map((b) => b.id)).then(
      (views) => {
        if (render !== this.render) return;
        box.replaceChildren(
          ...blocks.map((b) => {
            const div = el('div', { className: 'block' });
            div.style.marginLeft = `${Math.min(b.depth, 8) * 12}px`;
            div.dataset.id = String(b.id);
            div.append(renderMarkdown(views.get(b.id)?.content ?? '', { openPage: (t) => this.actions.openPage(t) }));
            return div;
          }),
        );
      },
      () => (box.textContent = 'the blocks could not be loaded'),
    );
    const count = `${blocks.length >= MAX_PAGE_BLOCKS ? 'the first ' : ''}${blocks.length} block${blocks.length === 1 ? '' : 's'}`;
    return [el('h3', { text: own ? `Blocks (${count})` : `Content (${count})` }), box];
  }

  /** Lists the neighbours up to the pages open, titles fetched a page at a time. */
  private async fillNeighbours(list: HTMLElement, ids: readonly number[], more: HTMLButtonElement, render: number): Promise<void> {
    const upTo = Math.min(ids.length, this.pages * NEIGHBOUR_PAGE);
    const wanted = ids.slice(list.childElementCount, upTo);
    if (wanted.length === 0) return;
    const views = await this.actions.views(wanted).catch(() => new Map<number, GraphNodeView>());
    if (render !== this.render) return;
    for (const id of wanted) {
      const a = el('a', { text: views.get(id)?.title ?? `#${id}` });
      a.href = '#';
      a.dataset.id = String(id);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        this.actions.select(id);
      });
      list.append(el('li', {}, [a]));
    }
    const left = ids.length - list.childElementCount;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(NEIGHBOUR_PAGE, left)} more`;
  }
}
