// The selected node: title, kind, type, metadata (an agent's status and current task among them),
// its neighbours (click to select), and the shortest-path actions.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import { el } from './dom.ts';

export interface SidePanelActions {
  select(id: number): void;
  distancesFrom(id: number): void;
  pathTo(id: number): void;
  clearPaths(): void;
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

  show(view: GraphNodeView, neighbours: readonly GraphNodeView[], sssp: { source: number | undefined; distance: number | undefined }): void {
    this.shown = view.id;
    this.root.hidden = false;
    this.root.dataset.node = String(view.id);
    const meta = Object.entries(view.metadata ?? {});
    const rows = [['id', String(view.id)], ['kind', view.kind], ...(view.type === undefined ? [] : [['type', view.type]]), ...meta];
    if (sssp.distance !== undefined) rows.push(['distance from source', sssp.distance.toFixed(2)]);
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
    to.disabled = sssp.source === undefined || sssp.source === view.id;
    to.addEventListener('click', () => this.actions.pathTo(view.id));
    const clear = el('button', { id: 'sssp-clear', text: 'Clear' });
    clear.disabled = sssp.source === undefined;
    clear.addEventListener('click', () => this.actions.clearPaths());
    const close = el('button', { className: 'close', text: '×', title: 'Close' });
    close.addEventListener('click', () => this.hide());
    this.root.replaceChildren(
      close,
      el('h2', { text: view.title ?? `Node ${view.id}` }),
      ...(view.kind === 'agent' ? [el('p', { className: 'agent', text: `Agent · ${view.metadata?.status ?? 'status unknown'} · ${view.metadata?.task ?? 'no current task'}` })] : []),
      table,
      el('div', { className: 'actions' }, [from, to, clear]),
      el('h3', { text: `Neighbours (${neighbours.length})` }),
      list,
    );
  }
}
