// A settings change as it is persisted, broadcast and reconciled: the design's
// {path, old, new, timestamp, client}, plus the tree version it produced so that clients can order
// deltas that reach them by different routes (their own ack, another client's broadcast).

export type SettingValue = boolean | number | string;

export interface SettingsDelta {
  readonly path: string;
  /** null when the path had only its default before. */
  readonly old: SettingValue | null;
  readonly new: SettingValue;
  /** Wall-clock milliseconds when the server applied it. */
  readonly timestamp: number;
  /** The client (session) that made the change. */
  readonly client: string;
  /** Tree version after this change: strictly increasing, one per change. */
  readonly version: number;
}
