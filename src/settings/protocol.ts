// The settings actor's messages. The gateway translates the wire's SettingsGet / SettingsSet /
// SettingsBatch into these, and SettingsBroadcast back into SettingsDelta envelopes.
import type { Recipient } from '../shared/recipient.ts';
import type { SettingsDelta, SettingValue } from './delta.ts';

export interface SettingChange {
  readonly path: string;
  readonly value: SettingValue;
  /** Compare-and-set: apply only if the path is still at this version (the client's last view). */
  readonly ifVersion?: number;
}

export interface SettingsSnapshot {
  /** The tree version these values are at. */
  readonly version: number;
  /** Every requested path with its value (defaults included) and the version of its last change. */
  readonly values: Readonly<Record<string, { readonly value: SettingValue; readonly version: number }>>;
}

export interface SettingError {
  readonly path: string;
  /** 'unavailable': the change could not be made durable; nothing was applied. */
  readonly code: 'unknown-path' | 'invalid-value' | 'conflict' | 'forbidden' | 'unavailable';
  readonly message: string;
  /** For a conflict or an invalid value: the value that stands, so the client can reconcile. */
  readonly current?: { readonly value: SettingValue; readonly version: number };
}

/** A batch is applied as a unit: every change, or none when any is refused. */
export type SetResult =
  | { readonly ok: true; readonly deltas: readonly SettingsDelta[]; readonly version: number }
  | { readonly ok: false; readonly errors: readonly SettingError[] };

export interface SettingsBroadcast {
  readonly type: 'settings-deltas';
  readonly deltas: readonly SettingsDelta[];
}

export type SettingsMsg =
  | { readonly type: 'get'; readonly paths?: readonly string[]; readonly replyTo: Recipient<SettingsSnapshot> }
  | { readonly type: 'set'; readonly client: string; readonly changes: readonly SettingChange[]; readonly replyTo?: Recipient<SetResult> }
  /**
   * Deltas from other clients, batched (the first change after a quiet spell goes at once, then at
   * most one batch per 100 ms or per 10 changes). `immediate` subscribers (the physics actor) get
   * every change at once and their own too.
   */
  | {
      readonly type: 'subscribe';
      readonly subscriber: Recipient<SettingsBroadcast>;
      readonly client: string;
      readonly prefix?: string;
      readonly immediate?: boolean;
    }
  | { readonly type: 'unsubscribe'; readonly subscriber: Recipient<SettingsBroadcast> };
