// Settings between the wire (SettingsGet / SettingsSet / SettingsBatch in, SettingsDelta out) and
// the settings actor's protocol. The wire's SettingsDelta has no version field yet, so the tree
// version travels in its HLC: timestamp = {wall_ms: delta.timestamp, logical: delta.version,
// node: 0}. JsonValue (structured values) is refused: the store holds booleans, numbers, strings.
import type {
  SettingsSet} from '../protocol/index.ts';
import {
  BoolValue, HlcT, NumberValue, NumberValueT, BoolValueT, SettingValue as WireValue, SettingsDeltaT, StringValue, StringValueT,
} from '../protocol/index.ts';
import type { SettingsDelta, SettingValue } from '../settings/delta.ts';
import type { SettingChange } from '../settings/protocol.ts';

type WireValueT = BoolValueT | NumberValueT | StringValueT;

export function toWireValue(value: SettingValue | null): { type: WireValue; value: WireValueT | null } {
  if (value === null) return { type: WireValue.NONE, value: null };
  if (typeof value === 'boolean') return { type: WireValue.BoolValue, value: new BoolValueT(value) };
  if (typeof value === 'number') return { type: WireValue.NumberValue, value: new NumberValueT(value) };
  return { type: WireValue.StringValue, value: new StringValueT(value) };
}

export function deltaPayload(delta: SettingsDelta): SettingsDeltaT {
  const old = toWireValue(delta.old);
  const next = toWireValue(delta.new);
  return new SettingsDeltaT(
    delta.path,
    old.type,
    old.value,
    next.type,
    next.value,
    new HlcT(BigInt(Math.max(0, Math.floor(delta.timestamp))), delta.version >>> 0, 0),
    delta.client,
  );
}

/** A SettingsSet from the wire as a change for the settings actor, or why it cannot be one. */
export function changeFromWire(set: SettingsSet): { ok: true; change: SettingChange } | { ok: false; error: string } {
  const path = set.path();
  if (path === null) return { ok: false, error: 'SettingsSet without a path' };
  switch (set.valueType()) {
    case WireValue.BoolValue:
      return { ok: true, change: { path, value: (set.value(new BoolValue()) as BoolValue).value() } };
    case WireValue.NumberValue: {
      const n = (set.value(new NumberValue()) as NumberValue).value();
      if (!Number.isFinite(n)) return { ok: false, error: `${path}: numbers must be finite` };
      return { ok: true, change: { path, value: n } };
    }
    case WireValue.StringValue: {
      const s = (set.value(new StringValue()) as StringValue).value();
      return s === null ? { ok: false, error: `${path}: empty string value` } : { ok: true, change: { path, value: s } };
    }
    case WireValue.JsonValue:
      return { ok: false, error: `${path}: structured (JSON) values are not supported by the settings store` };
    default:
      return { ok: false, error: `${path}: no value` };
  }
}
