// The client side of settings sync, used by the viewer and by agents: changes apply locally at once
// (optimistic) and are reconciled with what the server answers and broadcasts. For every path the
// confirmed value is the one with the highest server version seen, whatever route it came by; a
// local change shows over it until the server has answered for it. A refused change is rolled
// back to the value the server says stands.
import type { SettingsDelta, SettingValue } from './delta.ts';
import type { SetResult, SettingChange, SettingsSnapshot } from './protocol.ts';

/** Sends a batch of changes to the server and resolves with its answer. */
export type SettingsSender = (changes: readonly SettingChange[]) => Promise<SetResult>;

interface Confirmed {
  value: SettingValue;
  version: number;
}

interface Pending {
  value: SettingValue;
  /** Changes in flight for this path; the overlay lifts when the last one is answered. */
  inFlight: number;
}

export type SettingsListener = (path: string, value: SettingValue) => void;

export class SettingsClient {
  private readonly confirmed = new Map<string, Confirmed>();
  private readonly pending = new Map<string, Pending>();
  private listeners: SettingsListener[] = [];

  constructor(
    snapshot: SettingsSnapshot,
    private readonly sender: SettingsSender,
  ) {
    for (const [path, v] of Object.entries(snapshot.values)) this.confirmed.set(path, { value: v.value, version: v.version });
  }

  /** What this client shows: its own unanswered change, else the latest confirmed value. */
  get(path: string): SettingValue | undefined {
    return this.pending.get(path)?.value ?? this.confirmed.get(path)?.value;
  }

  /** The server version of the confirmed value (for compare-and-set). */
  versionOf(path: string): number | undefined {
    return this.confirmed.get(path)?.version;
  }

  paths(): string[] {
    return [...new Set([...this.confirmed.keys(), ...this.pending.keys()])];
  }

  onChange(listener: SettingsListener): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  /** Sets one path, optimistically; `compareAndSet` refuses it if someone changed the path since. */
  set(path: string, value: SettingValue, compareAndSet = false): Promise<SetResult> {
    return this.setMany([{ path, value, ...(compareAndSet ? { ifVersion: this.versionOf(path) ?? 0 } : {}) }]);
  }

  /** Sets several paths as one unit (the server applies all or none). */
  async setMany(changes: readonly SettingChange[]): Promise<SetResult> {
    for (const c of changes) {
      const p = this.pending.get(c.path);
      if (p === undefined) this.pending.set(c.path, { value: c.value, inFlight: 1 });
      else {
        p.value = c.value;
        p.inFlight++;
      }
      this.emit(c.path);
    }
    let result: SetResult;
    try {
      result = await this.sender(changes);
    } catch (error) {
      for (const c of changes) this.settle(c.path);
      throw error;
    }
    if (result.ok) for (const d of result.deltas) this.confirm(d.path, d.new, d.version);
    else for (const e of result.errors) if (e.current !== undefined) this.confirm(e.path, e.current.value, e.current.version);
    for (const c of changes) this.settle(c.path);
    return result;
  }

  /** Deltas the server broadcast (other clients' changes). */
  applyDeltas(deltas: readonly SettingsDelta[]): void {
    for (const d of deltas) this.confirm(d.path, d.new, d.version);
  }

  private confirm(path: string, value: SettingValue, version: number): void {
    const known = this.confirmed.get(path);
    if (known !== undefined && known.version >= version) return; // older news
    const before = this.get(path);
    this.confirmed.set(path, { value, version });
    if (this.get(path) !== before) this.emit(path);
  }

  private settle(path: string): void {
    const p = this.pending.get(path);
    if (p === undefined) return;
    if (--p.inFlight > 0) return;
    const before = p.value;
    this.pending.delete(path);
    if (this.get(path) !== before) this.emit(path);
  }

  private emit(path: string): void {
    const value = this.get(path);
    if (value === undefined) return;
    for (const l of this.listeners) l(path, value);
  }
}
