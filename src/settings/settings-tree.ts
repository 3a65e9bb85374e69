// The authoritative settings values with a version per path and for the whole tree. Applying a
// batch is all-or-nothing: each change is validated (and compare-and-set checked) first, then all
// are applied and turned into deltas, one tree version each.
import type { Hlc } from '../crdt/hlc.ts';
import type { SettingsDelta, SettingValue } from './delta.ts';
import type { SettingChange, SettingError, SettingsSnapshot } from './protocol.ts';
import { SETTINGS_SCHEMA, validateSetting } from './schema.ts';

/** A validated batch, its deltas numbered from the current version; nothing is applied until commit. */
export type Plan = { readonly ok: true; readonly deltas: SettingsDelta[] } | { readonly ok: false; readonly errors: SettingError[] };

export class SettingsTree {
  private readonly values = new Map<string, { value: SettingValue; version: number }>();
  private treeVersion = 0;

  get version(): number {
    return this.treeVersion;
  }

  current(path: string): { value: SettingValue; version: number } | undefined {
    const set = this.values.get(path);
    if (set !== undefined) return set;
    const spec = SETTINGS_SCHEMA[path];
    return spec === undefined ? undefined : { value: spec.default, version: 0 };
  }

  /** `stamp` gives each delta its HLC stamp, in order (called once per delta of a valid batch). */
  plan(changes: readonly SettingChange[], client: string, stamp: () => Hlc): Plan {
    const errors: SettingError[] = [];
    const accepted: { path: string; value: SettingValue }[] = [];
    for (const change of changes) {
      const checked = validateSetting(change.path, change.value);
      const current = this.current(change.path);
      if (!checked.ok) {
        errors.push({
          path: change.path.slice(0, 512),
          code: checked.code,
          message: checked.message,
          ...(current === undefined ? {} : { current }),
        });
        continue;
      }
      if (change.ifVersion !== undefined && current !== undefined && current.version !== change.ifVersion) {
        errors.push({ path: change.path, code: 'conflict', message: `${change.path} changed since version ${change.ifVersion}`, current });
        continue;
      }
      accepted.push({ path: change.path, value: checked.value });
    }
    if (errors.length > 0) return { ok: false, errors };
    // A path set twice in one batch: the second delta's old value is the first one's new value.
    const staged = new Map<string, SettingValue>();
    const deltas = accepted.map(({ path, value }, i) => {
      const old = staged.has(path) ? staged.get(path)! : (this.values.get(path)?.value ?? null);
      staged.set(path, value);
      return { path, old, new: value, timestamp: stamp(), client, version: this.treeVersion + i + 1 };
    });
    return { ok: true, deltas };
  }

  /** Applies a plan's deltas (once they are durable). */
  commit(deltas: readonly SettingsDelta[]): void {
    for (const d of deltas) {
      this.values.set(d.path, { value: d.new, version: d.version });
      this.treeVersion = Math.max(this.treeVersion, d.version);
    }
  }

  /** Replays persisted deltas (recovery); they are trusted but still validated against the schema. */
  restore(deltas: Iterable<SettingsDelta>): number {
    let skipped = 0;
    for (const d of deltas) {
      const checked = validateSetting(d.path, d.new);
      if (!checked.ok) {
        skipped++; // a path or range removed from the schema since: the default stands
        continue;
      }
      this.values.set(d.path, { value: checked.value, version: d.version });
      this.treeVersion = Math.max(this.treeVersion, d.version);
    }
    return skipped;
  }

  snapshot(paths?: readonly string[]): SettingsSnapshot {
    const wanted = paths === undefined || paths.length === 0 ? Object.keys(SETTINGS_SCHEMA) : paths;
    const values: Record<string, { value: SettingValue; version: number }> = {};
    for (const path of wanted) {
      // A prefix ("physics.") selects a subtree.
      const matches = path.endsWith('.') ? Object.keys(SETTINGS_SCHEMA).filter((p) => p.startsWith(path)) : [path];
      for (const p of matches) {
        const current = this.current(p);
        if (current !== undefined) values[p] = current;
      }
    }
    return { version: this.treeVersion, values };
  }
}
