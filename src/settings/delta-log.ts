// Where settings deltas are persisted: the settings-delta table in PostgreSQL / PGlite in
// production, this bounded in-memory log in tests and for a node without storage.
import type { SettingsDelta } from './delta.ts';

export interface SettingsDeltaLog {
  /** Resolves once the deltas are durable. */
  append(deltas: readonly SettingsDelta[]): Promise<void>;
  /** Every delta still needed to rebuild the current values, oldest first. */
  load(): Promise<readonly SettingsDelta[]>;
}

export class InMemoryDeltaLog implements SettingsDeltaLog {
  private readonly deltas: SettingsDelta[] = [];

  constructor(private readonly capacity = 100_000) {}

  append(deltas: readonly SettingsDelta[]): Promise<void> {
    this.deltas.push(...deltas);
    // Past capacity, keep only the latest delta per path: enough to rebuild the values.
    if (this.deltas.length > this.capacity) {
      const latest = new Map<string, SettingsDelta>();
      for (const d of this.deltas) latest.set(d.path, d);
      this.deltas.splice(0, this.deltas.length, ...[...latest.values()].sort((a, b) => a.version - b.version));
    }
    return Promise.resolve();
  }

  load(): Promise<readonly SettingsDelta[]> {
    return Promise.resolve([...this.deltas]);
  }
}
