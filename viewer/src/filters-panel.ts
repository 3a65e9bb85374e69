// "Show": which nodes this viewer asks the server for (view-filter.ts builds the request): a switch
// for blocks (off: each folds into its page, as Logseq and Obsidian draw a notes graph), one box
// per node type the graph holds, agents, orphans, and a degree range. This browser's own choices,
// kept in its local storage.
import { el } from './dom.ts';
import type { LocalSettings } from './local-settings.ts';

const NAMES: Readonly<Record<string, string>> = { page: 'Pages', journal: 'Journals', tag: 'Tags', '': 'Nodes without a type' };

export class FiltersPanel {
  readonly root = el('details', { id: 'filters-panel' });
  private typesKey = '';
  private readonly types = el('div', { className: 'types' });
  private readonly blocks = el('label', {
    className: 'setting switch',
    title: 'Blocks as nodes of their own, or folded into their page (B)',
  });
  private readonly blocksBox = el('input', { id: 'show-blocks' });
  /** Shown where the graph has agents (or they are hidden now). */
  private readonly agents: HTMLElement;

  constructor(private readonly local: LocalSettings) {
    this.root.open = true;
    const v = local.value;
    this.blocksBox.type = 'checkbox';
    this.blocksBox.checked = v.showBlocks;
    this.blocksBox.addEventListener('change', () => local.set({ showBlocks: this.blocksBox.checked }));
    this.blocks.append(this.blocksBox, ' Show blocks');
    this.blocks.hidden = true;
    const box = (id: string, text: string, checked: boolean, title: string, change: (on: boolean) => void): HTMLElement => {
      const input = el('input', { id });
      input.type = 'checkbox';
      input.checked = checked;
      input.addEventListener('change', () => change(input.checked));
      return el('label', { className: 'setting', title }, [input, ` ${text}`]);
    };
    this.agents = box('show-agents', 'Agents', !v.hideAgents, 'Agent nodes', (on) => local.set({ hideAgents: !on }));
    this.agents.hidden = !v.hideAgents;
    const number = (id: string, value: number, title: string, change: (n: number) => void): HTMLInputElement => {
      const input = el('input', { id, title });
      input.type = 'number';
      input.min = '0';
      input.step = '1';
      input.placeholder = 'any';
      input.value = value === 0 ? '' : String(value);
      input.addEventListener('change', () => {
        const n = Number(input.value);
        change(Number.isInteger(n) && n >= 0 ? Math.min(n, 0xffffffff) : 0);
      });
      return input;
    };
    this.root.append(
      el('summary', { text: 'Show' }),
      this.blocks,
      this.types,
      this.agents,
      box('show-orphans', 'Orphans', !v.hideOrphans, 'Nodes without a link', (on) => local.set({ hideOrphans: !on })),
      el('label', { className: 'setting degree-range', title: 'Only nodes with this many links (0: no bound)' }, [
        'Degree ',
        number('min-degree', v.minDegree, 'At least this many links', (n) => local.set({ minDegree: n })),
        ' to ',
        number('max-degree', v.maxDegree, 'At most this many links (0: no bound)', (n) => local.set({ maxDegree: n })),
      ]),
    );
  }

  /**
   * The graph's types (from the id table): one box each, blocks get the switch; "without a type"
   * and "agents" only where some shown node is so (or such nodes are hidden now).
   */
  setTypes(typeNames: readonly string[], untypedShown: boolean, agentsShown: boolean): void {
    this.agents.hidden = !agentsShown && !this.local.value.hideAgents;
    const hiddenNow = new Set(this.local.value.hiddenTypes);
    const listed = typeNames.filter((t) => t !== 'block' && (t !== '' || (typeNames.length > 1 && (untypedShown || hiddenNow.has('')))));
    this.blocks.hidden = !typeNames.includes('block');
    const key = listed.join('\n');
    if (key === this.typesKey) return;
    this.typesKey = key;
    const hidden = new Set(this.local.value.hiddenTypes);
    this.types.replaceChildren(
      ...listed.map((t) => {
        const input = el('input');
        input.type = 'checkbox';
        input.dataset.type = t;
        input.checked = !hidden.has(t);
        input.addEventListener('change', () => {
          const set = new Set(this.local.value.hiddenTypes);
          if (input.checked) set.delete(t);
          else set.add(t);
          this.local.set({ hiddenTypes: [...set] });
        });
        return el('label', { className: 'setting' }, [input, ` ${NAMES[t] ?? t}`]);
      }),
    );
  }

  /** After a reset or a key: the boxes follow the settings. */
  sync(): void {
    const v = this.local.value;
    this.blocksBox.checked = v.showBlocks;
    const set = (id: string, on: boolean): void => {
      const input = this.root.querySelector<HTMLInputElement>(`#${id}`);
      if (input !== null) input.checked = on;
    };
    set('show-agents', !v.hideAgents);
    set('show-orphans', !v.hideOrphans);
    const hidden = new Set(v.hiddenTypes);
    for (const input of this.types.querySelectorAll<HTMLInputElement>('input[data-type]'))
      input.checked = !hidden.has(input.dataset.type ?? '');
    const min = this.root.querySelector<HTMLInputElement>('#min-degree');
    const max = this.root.querySelector<HTMLInputElement>('#max-degree');
    if (min !== null) min.value = v.minDegree === 0 ? '' : String(v.minDegree);
    if (max !== null) max.value = v.maxDegree === 0 ? '' : String(v.maxDegree);
  }
}
