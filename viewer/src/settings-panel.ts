// The settings panel: one control per path of the settings tree (SETTINGS_SCHEMA), grouped by
// prefix, bound to the settings client. A change shows at once (optimistic) and the panel follows
// whatever the client settles on: the server's answer, or another viewer's change.
import { SETTINGS_SCHEMA, type SettingSpec } from '../../src/settings/schema.ts';
import type { SettingsClient } from '../../src/settings/client.ts';
import type { SettingValue } from '../../src/settings/delta.ts';
import { el } from './dom.ts';

type Control = HTMLInputElement | HTMLSelectElement;

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

export function settingsPanel(client: SettingsClient, onError: (message: string) => void): HTMLElement {
  const root = el('div', { id: 'settings-body' });
  const controls = new Map<string, Control>();
  const groups = new Map<string, HTMLElement>();
  for (const [path, spec] of Object.entries(SETTINGS_SCHEMA)) {
    const group = path.slice(0, path.lastIndexOf('.'));
    let box = groups.get(group);
    if (box === undefined) {
      const details = el('details', {}, [el('summary', { text: group })]);
      if (group.startsWith('visualisation')) details.open = true;
      root.append(details);
      groups.set(group, details);
      box = details;
    }
    const c = control(path, spec);
    c.dataset.path = path;
    c.title = spec.doc;
    const value = client.get(path) ?? spec.default;
    show(c, value);
    c.addEventListener('change', () => {
      const v = read(c, spec);
      if (v === undefined) return show(c, client.get(path) ?? spec.default);
      client.set(path, v).then(
        (result) => {
          if (!result.ok) onError(result.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
        },
        (error: unknown) => onError(String(error)),
      );
    });
    controls.set(path, c);
    box.append(el('label', { className: 'setting', title: spec.doc }, [el('span', { text: path.slice(group.length + 1) }), c]));
  }
  client.onChange((path, value) => {
    const c = controls.get(path);
    if (c !== undefined && document.activeElement !== c) show(c, value);
  });
  return root;
}
