// The settings client for this viewer: a snapshot over HTTP, changes sent over HTTP (answered with
// the settings actor's own SetResult), other viewers' changes arriving as SettingsDelta envelopes
// on the WebSocket (Topic.Settings). src/settings/client.ts does the optimistic part.
import { deltaFromWire } from '../../src/gateway/settings-wire.ts';
import type { SettingsDeltaT } from '../../src/protocol/index.ts';
import { SettingsClient } from '../../src/settings/client.ts';
import { SETTINGS_SCHEMA } from '../../src/settings/schema.ts';
import type { SettingValue } from '../../src/settings/delta.ts';
import type { Api } from './api.ts';

export async function openSettings(api: Api): Promise<SettingsClient> {
  const snapshot = await api.settings();
  return new SettingsClient(snapshot, (changes) => api.setSettings(changes));
}

export function applyWireDelta(client: SettingsClient, wire: SettingsDeltaT): void {
  const delta = deltaFromWire(wire);
  if (delta !== null) client.applyDeltas([delta]);
}

/** A setting's value as this viewer shows it, falling back to the schema's default. */
export function settingOf(client: SettingsClient | undefined, path: string): SettingValue {
  const v = client?.get(path);
  if (v !== undefined) return v;
  const spec = SETTINGS_SCHEMA[path];
  if (spec === undefined) throw new Error(`no setting ${path}`);
  return spec.default;
}
