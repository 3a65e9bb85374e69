// Settings between the wire (SettingsGet / SettingsSet / SettingsBatch in, SettingsDelta out) and
// the settings actor's protocol. A SettingsDelta carries the tree version in `version` and the
// change's HLC stamp in `timestamp`. SettingsSet.if_version is compare-and-set (-1: none).
// JsonValue (structured values) is refused: the store holds booleans, numbers, strings.
import {
  BoolValue,
  HlcT,
  NumberValue,
  NumberValueT,
  BoolValueT,
  SettingValue as WireValue,
  SettingsDeltaT,
  SettingsSetT,
  StringValue,
  StringValueT,
  type SettingsSet,
} from '../protocol/index.ts';
import { ZERO_HLC } from '../crdt/hlc.ts';
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
    new HlcT(BigInt(delta.timestamp.wallMs), delta.timestamp.logical, delta.timestamp.node),
    delta.client,
    BigInt(delta.version),
  );
}

/** A SettingsSet from the wire as a change for the settings actor, or why it cannot be one. */
export function changeFromWire(set: SettingsSet): { ok: true; change: SettingChange } | { ok: false; error: string } {
  const path = set.path();
  if (path === null) return { ok: false, error: 'SettingsSet without a path' };
  const wireIf = set.ifVersion();
  if (wireIf < -1n || wireIf > BigInt(Number.MAX_SAFE_INTEGER))
    return { ok: false, error: `${path}: if_version must be -1 (none) or a version` };
  const cas = wireIf === -1n ? {} : { ifVersion: Number(wireIf) };
  switch (set.valueType()) {
    case WireValue.BoolValue:
      return { ok: true, change: { path, value: (set.value(new BoolValue()) as BoolValue).value(), ...cas } };
    case WireValue.NumberValue: {
      const n = (set.value(new NumberValue()) as NumberValue).value();
      if (!Number.isFinite(n)) return { ok: false, error: `${path}: numbers must be finite` };
      return { ok: true, change: { path, value: n, ...cas } };
    }
    case WireValue.StringValue: {
      const s = (set.value(new StringValue()) as StringValue).value();
      return s === null ? { ok: false, error: `${path}: empty string value` } : { ok: true, change: { path, value: s, ...cas } };
    }
    case WireValue.JsonValue:
      return { ok: false, error: `${path}: structured (JSON) values are not supported by the settings store` };
    default:
      return { ok: false, error: `${path}: no value` };
  }
}

// ---- the client's side: what a SettingsClient's sender puts on the wire and reads back ----------

/** A change as the SettingsSet that asks for it; no ifVersion is an unconditional set (-1). */
export function setPayload(change: SettingChange): SettingsSetT {
  const value = toWireValue(change.value);
  return new SettingsSetT(change.path, value.type, value.value, BigInt(change.ifVersion ?? -1));
}

function fromWireValue(value: SettingsDeltaT['newValue']): SettingValue | null {
  if (value instanceof BoolValueT || value instanceof NumberValueT) return value.value;
  if (value instanceof StringValueT && typeof value.value === 'string') return value.value;
  return null;
}

/** A SettingsDelta from the wire (object API) as the client library takes it; null when it holds no usable value. */
export function deltaFromWire(wire: SettingsDeltaT): SettingsDelta | null {
  const next = fromWireValue(wire.newValue);
  if (typeof wire.path !== 'string' || next === null) return null;
  return {
    path: wire.path,
    old: fromWireValue(wire.oldValue),
    new: next,
    timestamp:
      wire.timestamp === null
        ? ZERO_HLC
        : { wallMs: Number(wire.timestamp.wallMs), logical: wire.timestamp.logical, node: wire.timestamp.node },
    client: typeof wire.client === 'string' ? wire.client : '',
    version: Number(wire.version),
  };
}
