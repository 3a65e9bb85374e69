// The selected node: title, an agent's status and current task, kind, type, metadata, the start of
// its content, its neighbours (click to select), and the shortest-path actions, with a toggle that
// follows every edge both ways. Every string in it comes from outside and goes in as text
// (textContent), never as markup.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import { el } from './dom.ts';

export interface SidePanelActions {
  select(id: number): void;
  distancesFrom(id: number): void;
  pathTo(id: number): void;
  clearPaths(): void;
  /** Shortest paths follow every edge both ways (on) or directed edges one way only (off). */
  setIgnoreDirection(on: boolean): void;
}

/** Content characters the panel asks for and shows (the HTTP API says how long the whole is). */
export const PANEL_CONTENT_CHARS = 4_000;

export interface PanelExtras {
  readonly source: number | undefined;
  readonly distance: number | undefined;
  /** The state of the "ignore direction" toggle. */
  readonly ignoreDirection: boolean;
  /** An agent's status and task, one line. */
  readonly agent?: string;
}

function contentBlock(view: GraphNodeView): HTMLElement[] {
  const content = view.content;
  if (content === undefined || content === '') return [];
  const text = content.length > PANEL_CONTENT_CHARS ? content.slice(0, PANEL_CONTENT_CHARS) : content;
  const whole = Math.max(view.contentLength ?? content.length, content.length);
  const more = whole - text.length;
  return [
    el('h3', { text: 'Content' }),
    el('div', { className: 'content', text }),
    ...(more > 0 ? [el('p', { className: 'more', text: `… ${more.toLocaleString()} more characters` })] : []),
  ];
}

export class SidePanel {
  readonly root = el('aside', { id: 'node-panel' });
  private shown: number | undefined;

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

  show(view: GraphNodeView, neighbours: readonly GraphNodeView[], extras: PanelExtras): void {
    this.shown = view.id;
    this.root.hidden = false;
    this.root.dataset.node = String(view.id);
    const meta = Object.entries(view.metadata ?? {});
    const rows = [['id', String(view.id)], ['kind', view.kind], ...(view.type === undefined ? [] : [['type', view.type]]), ...meta];
    if (extras.distance !== undefined) rows.push(['distance from source', extras.distance.toFixed(2)]);
    const table = el('table', {}, rows.map(([k, v]) => el('tr', {}, [el('th', { text: k ?? '' }), el('td', { text: v ?? '' })])));
    const list = el(
      'ul',
      { className: 'neighbours' },
      neighbours.map((n) => {
        const a = el('a', { text: n.title ?? `#${n.id}` });
        a.href = '#';
        a.addEventListener('click', (e) => {
          e.preventDefault();
          this.actions.select(n.id);
        });
        return el('li', {}, [a]);
      }),
    );
    const from = el('button', { id: 'sssp-from', text: 'Distances from here' });
    from.addEventListener('click', () => this.actions.distancesFrom(view.id));
    const to = el('button', { id: 'sssp-to', text: 'Path from source to here' });
    to.disabled = extras.source === undefined || extras.source === view.id;
    to.addEventListener('click', () => this.actions.pathTo(view.id));
    const clear = el('button', { id: 'sssp-clear', text: 'Clear' });
    clear.disabled = extras.source === undefined;
    clear.addEventListener('click', () => this.actions.clearPaths());
    const undirected = el('input', { id: 'sssp-undirected' });
    undirected.type = 'checkbox';
    undirected.checked = extras.ignoreDirection;
    undirected.addEventListener('change', () => this.actions.setIgnoreDirection(undirected.checked));
    const toggle = el('label', { className: 'toggle', title: 'Follow links both ways, whichever way they point' }, [undirected, ' ignore direction']);
    const close = el('button', { className: 'close', text: '×', title: 'Close' });
    close.addEventListener('click', () => this.hide());
    this.root.replaceChildren(
      close,
      el('h2', { text: view.title ?? `Node ${view.id}` }),
      ...(view.kind === 'agent' ? [el('p', { className: 'agent', text: `Agent · ${extras.agent ?? 'status unknown · no current task'}` })] : []),
      table,
      ...contentBlock(view),
      el('div', { className: 'actions' }, [from, to, clear, toggle]),
      el('h3', { text: `Neighbours (${neighbours.length})` }),
      list,
    );
  }
}
