// The settings actor's delta log on the node's store (the settings_deltas table in PostgreSQL or
// PGlite): a batch is appended in one transaction, and loading pages through every delta in order.
import type { SettingsDeltaStore } from '../storage/settings-deltas.ts';
import type { SettingsDelta, SettingValue } from './delta.ts';
import type { SettingsDeltaLog } from './delta-log.ts';

const PAGE = 10_000;

export class SqlDeltaLog implements SettingsDeltaLog {
  constructor(private readonly store: SettingsDeltaStore) {}

  async append(deltas: readonly SettingsDelta[]): Promise<void> {
    await this.store.appendAll(
      deltas.map((d) => ({
        path: d.path,
        oldValue: d.old ?? undefined,
        newValue: d.new,
        timestamp: d.timestamp,
        client: d.client,
        version: d.version,
      })),
    );
  }

  async load(): Promise<readonly SettingsDelta[]> {
    const out: SettingsDelta[] = [];
    for (let afterId = 0; ;) {
      const page = await this.store.list({ afterId, limit: PAGE });
      for (const d of page) {
        // The settings tree holds scalars; structured JSON values are not part of its schema.
        if (typeof d.newValue === 'object') continue;
        const old = d.oldValue === undefined || typeof d.oldValue === 'object' ? null : (d.oldValue as SettingValue);
        out.push({ path: d.path, old, new: d.newValue, timestamp: d.timestamp, client: d.client, version: d.version ?? 0 });
      }
      if (page.length < PAGE) return out;
      afterId = page[page.length - 1]!.id;
    }
  }
}
