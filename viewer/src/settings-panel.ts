// The settings panel, for people first: the few controls they reach for (node size, link distance,
// repulsion, labels, colour by) up front, with presets and a reset; the whole settings tree
// (SETTINGS_SCHEMA), named in words rather than dot paths, folded below for experts. Every control
// says whose it is: shared (the node keeps it and every open viewer follows it) or this browser's
// own (kept in its local storage). A shared change shows at once (optimistic) and the panel follows
// whatever the settings client settles on: the server's answer, or another viewer's change.
import { SETTINGS_SCHEMA, type SettingSpec } from '../../src/settings/schema.ts';
import type { SettingsClient } from '../../src/settings/client.ts';
import type { SettingChange } from '../../src/settings/protocol.ts';
import type { SettingValue } from '../../src/settings/delta.ts';
import type { ColourBy } from './colouring.ts';
import { el } from './dom.ts';
import type { LocalSettings } from './local-settings.ts';

type Control = HTMLInputElement | HTMLSelectElement;

/** Shared paths the quick controls and presets write. */
export const QUICK_PATHS = {
  size: 'visualisation.nodes.baseSize',
  linkDistance: 'physics.knowledge.springLength',
  repulsion: 'physics.repulsion',
  labelsOn: 'visualisation.labels.visible',
  labelCount: 'visualisation.labels.maxVisible',
} as const;

const numberDefault = (path: string): number => Number(SETTINGS_SCHEMA[path]!.default);

/** Layouts in one click: each sets the shared link distance and repulsion, relative to the defaults. */
export const PRESETS: readonly { readonly name: string; readonly title: string; readonly changes: Readonly<Record<string, number>> }[] = [
  {
    name: 'Compact',
    title: 'Short links, little repulsion: clusters pull tight',
    changes: { [QUICK_PATHS.linkDistance]: 5, [QUICK_PATHS.repulsion]: 6 },
  },
  {
    name: 'Balanced',
    title: 'The defaults',
    changes: {
      [QUICK_PATHS.linkDistance]: numberDefault(QUICK_PATHS.linkDistance),
      [QUICK_PATHS.repulsion]: numberDefault(QUICK_PATHS.repulsion),
    },
  },
  {
    name: 'Spread',
    title: 'Long links, strong repulsion: room between clusters for labels',
    changes: { [QUICK_PATHS.linkDistance]: 25, [QUICK_PATHS.repulsion]: 30 },
  },
];

/** Label amounts: off, or how many at most. */
const LABEL_AMOUNTS: readonly (readonly [string, number])[] = [
  ['none', 0],
  ['few', 20],
  ['normal', 50],
  ['many', 150],
];

export interface SettingsPanelHooks {
  onError(message: string): void;
  /** The colourings on offer now (attributes come as the nodes' details arrive). */
  colourChoices(): readonly (readonly [ColourBy, string])[];
}

/** "physics.knowledge.springLength" as a person would say it: "Spring length". */
export function humanise(path: string): string {
  const leaf = path.slice(path.lastIndexOf('.') + 1);
  const words = leaf
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/Hz$/, ' Hz')
    .replace(/Ms$/, ' ms')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function groupTitle(group: string): string {
  return group
    .split('.')
    .map((part) => humanise(part))
    .join(' · ');
}

function control(path: string, spec: SettingSpec): Control {
  switch (spec.type) {
    case 'boolean': {
      const input = el('input');
      input.type = 'checkbox';
      return input;
    }
    case 'enum': {
      const select = el('select');
      for (const v of spec.values) select.append(el('option', { text: v }));
      return select;
    }
    case 'color': {
      const input = el('input');
      input.type = 'color';
      return input;
    }
    case 'number': {
      const input = el('input');
      input.type = 'number';
      input.min = String(spec.min);
      input.max = String(spec.max);
      input.step = spec.integer === true ? '1' : 'any';
      return input;
    }
    case 'string': {
      const input = el('input');
      input.type = 'text';
      input.maxLength = spec.maxLength;
      return input;
    }
    default:
      throw new Error(`no control for ${path}`);
  }
}

function show(c: Control, value: SettingValue): void {
  if (c instanceof HTMLInputElement && c.type === 'checkbox') c.checked = value === true;
  else c.value = String(value);
}

function read(c: Control, spec: SettingSpec): SettingValue | undefined {
  if (spec.type === 'boolean') return (c as HTMLInputElement).checked;
  if (spec.type === 'number') {
    const n = Number(c.value);
    return Number.isFinite(n) && c.value !== '' ? n : undefined;
  }
  return c.value;
}

const scope = (shared: boolean): HTMLElement =>
  el('span', {
    className: shared ? 'scope shared' : 'scope local',
    text: shared ? 'shared' : 'this browser',
    title: shared ? 'Kept by the node: every open viewer follows it' : 'Kept in this browser only',
  });

export class SettingsPanel {
  readonly root = el('div', { id: 'settings-body' });
  private readonly colour = el('select', { id: 'colour-by' });
  private readonly labels = el('select', { id: 'label-amount' });
  private readonly quick = new Map<string, HTMLInputElement>();
  private readonly expert = new Map<string, Control>();

  constructor(
    private readonly client: SettingsClient,
    private readonly local: LocalSettings,
    private readonly hooks: SettingsPanelHooks,
  ) {
    const key = el('p', { className: 'scope-key' }, [
      scope(true),
      ' every viewer of this node sees it · ',
      scope(false),
      ' kept here only',
    ]);
    const presets = el(
      'div',
      { className: 'presets' },
      PRESETS.map((p) => {
        const b = el('button', { text: p.name, title: p.title });
        b.dataset.preset = p.name;
        b.addEventListener('click', () => this.setShared(Object.entries(p.changes).map(([path, value]) => ({ path, value }))));
        return b;
      }),
    );
    const reset = el('button', {
      id: 'settings-reset',
      text: 'Reset',
      title: "The quick settings back to their defaults, shared and this browser's own",
    });
    reset.addEventListener('click', () => this.reset());
    presets.append(reset);

    const slider = (name: string, path: string, min: number, max: number, step: number): HTMLElement => {
      const input = el('input');
      input.type = 'range';
      input.min = String(min);
      input.max = String(max);
      input.step = String(step);
      input.dataset.quick = path;
      const value = el('output');
      const sync = (): void => {
        value.textContent = Number(input.value).toLocaleString('en', { maximumFractionDigits: 2 });
      };
      input.addEventListener('input', sync);
      input.addEventListener('change', () => this.setShared([{ path, value: Number(input.value) }]));
      this.quick.set(path, input);
      show(input, this.value(path));
      sync();
      return el('label', { className: 'setting quick' }, [el('span', { text: name }), input, value, scope(true)]);
    };
    for (const [name] of LABEL_AMOUNTS) this.labels.append(el('option', { text: name }));
    this.labels.addEventListener('change', () => {
      const amount = LABEL_AMOUNTS.find(([n]) => n === this.labels.value)?.[1] ?? 50;
      this.setShared(
        amount === 0
          ? [{ path: QUICK_PATHS.labelsOn, value: false }]
          : [
              { path: QUICK_PATHS.labelsOn, value: true },
              { path: QUICK_PATHS.labelCount, value: amount },
            ],
      );
    });
    this.colour.addEventListener('change', () => this.local.set({ colourBy: this.colour.value as ColourBy }));
    this.colour.addEventListener('focus', () => this.refreshColourChoices());

    const quick = el('section', { className: 'quick-settings' }, [
      key,
      presets,
      slider('Node size', QUICK_PATHS.size, 0.2, 5, 0.1),
      slider('Link distance', QUICK_PATHS.linkDistance, 1, 60, 1),
      slider('Repulsion', QUICK_PATHS.repulsion, 0, 60, 1),
      el('label', { className: 'setting quick' }, [el('span', { text: 'Labels' }), this.labels, scope(true)]),
      el('label', { className: 'setting quick' }, [el('span', { text: 'Colour by' }), this.colour, scope(false)]),
    ]);
    this.root.append(quick, this.expertTree());
    this.showLabels();
    this.refreshColourChoices();
    client.onChange((path, value) => {
      const c = this.expert.get(path);
      if (c !== undefined && document.activeElement !== c) show(c, value);
      const q = this.quick.get(path);
      if (q !== undefined && document.activeElement !== q) {
        show(q, value);
        q.dispatchEvent(new Event('input'));
      }
      if (path === QUICK_PATHS.labelsOn || path === QUICK_PATHS.labelCount) this.showLabels();
    });
    local.onChange(() => this.refreshColourChoices());
  }

  /** The colouring choices again (attribute keys appear as details arrive). */
  refreshColourChoices(): void {
    const choices = this.hooks.colourChoices();
    const current = this.local.value.colourBy;
    const known = [...this.colour.options].map((o) => o.value).join('\n');
    if (known !== choices.map(([v]) => v).join('\n')) {
      this.colour.replaceChildren(
        ...choices.map(([value, text]) => {
          const o = el('option', { text });
          o.value = value;
          return o;
        }),
      );
    }
    if (choices.some(([v]) => v === current)) this.colour.value = current;
  }

  private value(path: string): SettingValue {
    return this.client.get(path) ?? SETTINGS_SCHEMA[path]!.default;
  }

  private showLabels(): void {
    const on = this.value(QUICK_PATHS.labelsOn) === true;
    const count = Number(this.value(QUICK_PATHS.labelCount));
    const nearest = LABEL_AMOUNTS.slice(1).reduce((best, a) => (Math.abs(a[1] - count) < Math.abs(best[1] - count) ? a : best));
    this.labels.value = on ? nearest[0] : 'none';
  }

  private setShared(changes: SettingChange[]): void {
    this.client.setMany(changes).then(
      (result) => {
        if (!result.ok) this.hooks.onError(result.errors.map((e) => `${humanise(e.path)}: ${e.message}`).join('; '));
      },
      (error: unknown) => this.hooks.onError(String(error)),
    );
  }

  private reset(): void {
    const paths = Object.values(QUICK_PATHS);
    this.setShared(paths.map((path) => ({ path, value: SETTINGS_SCHEMA[path]!.default })));
    this.local.reset();
  }

  private expertTree(): HTMLElement {
    const tree = el('details', { className: 'expert', id: 'settings-expert' }, [el('summary', { text: 'All settings (expert)' })]);
    const groups = new Map<string, HTMLElement>();
    for (const [path, spec] of Object.entries(SETTINGS_SCHEMA)) {
      const group = path.slice(0, path.lastIndexOf('.'));
      let box = groups.get(group);
      if (box === undefined) {
        box = el('details', {}, [el('summary', { text: groupTitle(group) })]);
        tree.append(box);
        groups.set(group, box);
      }
      const c = control(path, spec);
      c.dataset.path = path;
      c.title = `${spec.doc} (${path})`;
      show(c, this.value(path));
      c.addEventListener('change', () => {
        const v = read(c, spec);
        if (v === undefined) return show(c, this.value(path));
        this.setShared([{ path, value: v }]);
      });
      this.expert.set(path, c);
      box.append(
        el('label', { className: 'setting', title: `${spec.doc} (${path})` }, [el('span', { text: humanise(path) }), c, scope(true)]),
      );
    }
    return tree;
  }
}
