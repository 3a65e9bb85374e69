// The settings deltas table: append a delta {path, old, new, timestamp, client} and list them back
// in order. The stored payload is a FlatBuffers envelope carrying a vf.SettingsDelta, verified again
// when read; path, stamp and client are columns for queries. Inputs are validated with zod.
import { z } from 'zod';
import { isValidHlc, type Hlc } from '../crdt/hlc.ts';
import { decodeEnvelope, encodeEnvelope, Payload } from '../protocol/index.ts';
import { BoolValue, BoolValueT } from '../protocol/generated/vf/bool-value.ts';
import { HlcT } from '../protocol/generated/vf/hlc.ts';
import { JsonValue, JsonValueT } from '../protocol/generated/vf/json-value.ts';
import { NumberValue, NumberValueT } from '../protocol/generated/vf/number-value.ts';
import { SettingValue } from '../protocol/generated/vf/setting-value.ts';
import { SettingsDelta, SettingsDeltaT } from '../protocol/generated/vf/settings-delta.ts';
import { StringValue, StringValueT } from '../protocol/generated/vf/string-value.ts';
import { asBuffer, asBytes, asNumber, type SqlClient, type SqlQueryable } from './sql.ts';

export type SettingJson = { readonly kind: 'json'; readonly json: string };
/** A setting's value: boolean, number, string, or structured JSON text. */
export type SettingValueIn = boolean | number | string | SettingJson;

export interface SettingsDeltaRecord {
  readonly path: string;
  readonly oldValue: SettingValueIn | undefined;
  readonly newValue: SettingValueIn;
  readonly timestamp: Hlc;
  readonly client: string;
  /** Settings tree version after this change (vf.SettingsDelta.version); 0 when unversioned. */
  readonly version?: number;
}

export interface StoredDelta extends SettingsDeltaRecord {
  readonly id: number;
}

const bytes = (max: number) => z.string().refine((s) => Buffer.byteLength(s) <= max, { message: `longer than ${max} UTF-8 bytes` });
const value = z.union([
  z.boolean(),
  z.number().refine(Number.isFinite, { message: 'not finite' }),
  bytes(65536),
  z.object({ kind: z.literal('json'), json: bytes(65536) }),
]);
const deltaSchema = z.object({
  path: bytes(512).regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, { message: 'not a dotted settings path' }),
  oldValue: value.optional(),
  newValue: value,
  timestamp: z
    .object({ wallMs: z.number(), logical: z.number(), node: z.number() })
    .refine(isValidHlc, { message: 'not a valid HLC stamp' }),
  client: bytes(256).min(1),
  version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

type SettingT = BoolValueT | NumberValueT | StringValueT | JsonValueT;

function toT(v: SettingValueIn): [SettingValue, SettingT] {
  if (typeof v === 'boolean') return [SettingValue.BoolValue, new BoolValueT(v)];
  if (typeof v === 'number') return [SettingValue.NumberValue, new NumberValueT(v)];
  if (typeof v === 'string') return [SettingValue.StringValue, new StringValueT(v)];
  return [SettingValue.JsonValue, new JsonValueT(v.json)];
}

function fromAccessor(
  type: SettingValue,
  get: (obj: BoolValue | NumberValue | StringValue | JsonValue) => unknown,
): SettingValueIn | undefined {
  switch (type) {
    case SettingValue.BoolValue:
      return (get(new BoolValue()) as BoolValue).value();
    case SettingValue.NumberValue:
      return (get(new NumberValue()) as NumberValue).value();
    case SettingValue.StringValue:
      return (get(new StringValue()) as StringValue).value() ?? '';
    case SettingValue.JsonValue:
      return { kind: 'json', json: (get(new JsonValue()) as JsonValue).json() ?? '' };
    default:
      return undefined;
  }
}

export function encodeSettingsDelta(d: SettingsDeltaRecord): Uint8Array {
  const [newType, newValue] = toT(d.newValue);
  const [oldType, oldValue] = d.oldValue === undefined ? [SettingValue.NONE, null] : toT(d.oldValue);
  const t = d.timestamp;
  const payload = new SettingsDeltaT(
    d.path,
    oldType,
    oldValue,
    newType,
    newValue,
    new HlcT(BigInt(t.wallMs), t.logical, t.node),
    d.client,
    BigInt(d.version ?? 0),
  );
  return encodeEnvelope({ seq: 0, payload });
}

export function decodeSettingsDelta(bytes: Uint8Array): SettingsDeltaRecord | { error: string } {
  const env = decodeEnvelope(bytes);
  if (!env.ok) return { error: `${env.error.code}: ${env.error.message}` };
  if (env.value.payloadType() !== Payload.SettingsDelta) return { error: 'not a SettingsDelta' };
  const d = env.value.payload(new SettingsDelta()) as SettingsDelta;
  const newValue = fromAccessor(d.newValueType(), (o) => d.newValue(o));
  const ts = d.timestamp();
  if (newValue === undefined || ts === null) return { error: 'SettingsDelta without a new value or timestamp' };
  return {
    path: d.path() ?? '',
    oldValue: fromAccessor(d.oldValueType(), (o) => d.oldValue(o)),
    newValue,
    timestamp: { wallMs: Number(ts.wallMs()), logical: ts.logical(), node: ts.node() },
    client: d.client() ?? '',
    version: Number(d.version()),
  };
}

export class SettingsDeltaStore {
  constructor(private readonly db: SqlClient) {}

  /** Validates and appends; returns the delta's id. Throws a RangeError on invalid input. */
  async append(input: unknown): Promise<number> {
    return insert(this.db, parse(input));
  }

  /** Validates every delta first, then appends them in one transaction: all are durable, or none. */
  async appendAll(inputs: readonly unknown[]): Promise<number[]> {
    const deltas = inputs.map(parse);
    return this.db.transaction(async (tx) => {
      const ids: number[] = [];
      for (const d of deltas) ids.push(await insert(tx, d));
      return ids;
    });
  }

  /** In append order; `pathPrefix` selects a subtree ("visualisation" matches "visualisation.nodes.size"). */
  async list(options: { afterId?: number; limit?: number; pathPrefix?: string } = {}): Promise<StoredDelta[]> {
    const limit = Math.min(Math.max(1, options.limit ?? 1000), 100_000);
    const prefix = options.pathPrefix;
    const rows = await this.db.query(
      `SELECT id, payload FROM settings_deltas
       WHERE id > $1 AND ($2::text IS NULL OR path = $2 OR left(path, length($2) + 1) = $2 || '.')
       ORDER BY id LIMIT $3`,
      [options.afterId ?? 0, prefix ?? null, limit],
    );
    const out: StoredDelta[] = [];
    for (const r of rows) {
      const d = decodeSettingsDelta(asBytes(r.payload));
      if ('error' in d) throw new Error(`settings delta ${String(r.id)} is damaged: ${d.error}`);
      out.push({ id: asNumber(r.id), ...d });
    }
    return out;
  }
}

function parse(input: unknown): SettingsDeltaRecord {
  const parsed = deltaSchema.safeParse(input);
  if (!parsed.success)
    throw new RangeError(`invalid settings delta: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as SettingsDeltaRecord;
}

async function insert(q: SqlQueryable, d: SettingsDeltaRecord): Promise<number> {
  const rows = await q.query(
    'INSERT INTO settings_deltas (path, client, hlc_wall, hlc_logical, hlc_node, version, payload) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [d.path, d.client, d.timestamp.wallMs, d.timestamp.logical, d.timestamp.node, d.version ?? 0, asBuffer(encodeSettingsDelta(d))],
  );
  return asNumber(rows[0]?.id);
}
