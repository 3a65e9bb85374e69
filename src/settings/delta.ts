// A settings change as it is persisted, broadcast and reconciled: the design's
// {path, old, new, timestamp, client}, plus the tree version it produced so that clients can order
// deltas that reach them by different routes (their own ack, another client's broadcast).
import type { Hlc } from '../crdt/hlc.ts';

export type SettingValue = boolean | number | string;

export interface SettingsDelta {
  readonly path: string;
  /** null when the path had only its default before. */
  readonly old: SettingValue | null;
  readonly new: SettingValue;
  /**
   * The settings clock's HLC stamp for the change: strictly increasing from one change to the next,
   * whatever the wall clock does (a stepped-back clock, a restart). ZERO_HLC on a delta that only
   * reports a current value.
   */
  readonly timestamp: Hlc;
  /** The client (session) that made the change. */
  readonly client: string;
  /** Tree version after this change: strictly increasing, one per change. */
  readonly version: number;
}
