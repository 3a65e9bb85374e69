// The SQL of the graph journal: appending a group of rows in one statement, writing a snapshot,
// and reading a shard's latest snapshot and the tail after it, page by page (bounded memory).
// A group is sent as column arrays plus ONE binary blob of all payloads that the server slices,
// so a thousand rows cost one parse and no hex encoding, on pg and PGlite alike; a group commit
// (events and snapshots) is one statement.
import { asBuffer, asBytes, asNumber, type SqlQueryable } from './sql.ts';

export interface EventRow {
  readonly seq: number;
  readonly unit: number;
  readonly shard: number;
  readonly kind: number;
  /** Node id or edge id (both below 2^53). */
  readonly entity: number;
  readonly atMs: number;
  readonly payload: Uint8Array;
}

export interface SnapshotRow {
  readonly shard: number;
  readonly unit: number;
  readonly unitUpto: number;
  readonly atMs: number;
  readonly entries: number;
  readonly body: Uint8Array;
}

// The events of a group: one row per array element; payloads are slices of one blob.
const EVENT_ROWS = `SELECT s, u, sh, k, e, a, substring($7::bytea FROM o FOR l)
  FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::smallint[], $5::bigint[], $6::bigint[], $8::integer[], $9::integer[])
    AS t(s, u, sh, k, e, a, o, l)`;

const INSERT_EVENTS = `INSERT INTO graph_events (seq, unit, shard, kind, entity, at_ms, payload)
  ${EVENT_ROWS}`;

// A whole group commit in ONE statement: the events in a data-modifying CTE, the snapshots in the
// outer INSERT. One statement is one implicit transaction, so the group is still all-or-nothing,
// and it costs one round trip instead of BEGIN + INSERT + INSERT... + COMMIT: under load every
// round trip is a wake-up of the client and of the backend, and that wait sits on the ack path.
const APPEND_GROUP = `WITH events AS (
  INSERT INTO graph_events (seq, unit, shard, kind, entity, at_ms, payload)
  ${EVENT_ROWS}
)
INSERT INTO graph_snapshots (shard, unit, unit_upto, at_ms, entries, body)
  SELECT sh, u, up, a, n, substring($15::bytea FROM o FOR l)
  FROM unnest($10::integer[], $11::bigint[], $12::bigint[], $13::bigint[], $14::integer[], $16::integer[], $17::integer[])
    AS t(sh, u, up, a, n, o, l)`;

// Array literals built here: one join per column instead of the driver's per-element escaping.
const lit = (a: readonly number[]): string => `{${a.join(',')}}`;

/** Concatenates `parts` into one blob; offsets are 1-based (SQL substring). */
function pack(parts: readonly Uint8Array[]): { blob: Buffer; offset: number[]; length: number[] } {
  const n = parts.length;
  const offset = new Array<number>(n);
  const length = new Array<number>(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += parts[i]!.length;
  const blob = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const p = parts[i]!;
    offset[i] = pos + 1;
    length[i] = p.length;
    blob.set(p, pos);
    pos += p.length;
  }
  return { blob, offset, length };
}

/** The nine parameters of EVENT_ROWS. */
function eventParams(rows: readonly EventRow[]): unknown[] {
  const n = rows.length;
  const seq = new Array<number>(n);
  const unit = new Array<number>(n);
  const shard = new Array<number>(n);
  const kind = new Array<number>(n);
  const entity = new Array<number>(n);
  const at = new Array<number>(n);
  const payloads = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    seq[i] = r.seq;
    unit[i] = r.unit;
    shard[i] = r.shard;
    kind[i] = r.kind;
    entity[i] = r.entity;
    at[i] = r.atMs;
    payloads[i] = r.payload;
  }
  const { blob, offset, length } = pack(payloads);
  return [lit(seq), lit(unit), lit(shard), lit(kind), lit(entity), lit(at), blob, lit(offset), lit(length)];
}

export async function insertEvents(tx: SqlQueryable, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(INSERT_EVENTS, eventParams(rows));
}

/**
 * Appends events and snapshots atomically in one statement (no explicit transaction needed: run it
 * on the client itself, not inside `transaction`, to save the BEGIN and COMMIT round trips).
 */
export async function appendGroup(db: SqlQueryable, rows: readonly EventRow[], snapshots: readonly SnapshotRow[]): Promise<void> {
  if (rows.length === 0 && snapshots.length === 0) return;
  const { blob, offset, length } = pack(snapshots.map((s) => s.body));
  await db.query(APPEND_GROUP, [
    ...eventParams(rows),
    lit(snapshots.map((s) => s.shard)),
    lit(snapshots.map((s) => s.unit)),
    lit(snapshots.map((s) => s.unitUpto)),
    lit(snapshots.map((s) => s.atMs)),
    lit(snapshots.map((s) => s.entries)),
    blob,
    lit(offset),
    lit(length),
  ]);
}

export async function insertSnapshot(tx: SqlQueryable, s: SnapshotRow): Promise<void> {
  await tx.query('INSERT INTO graph_snapshots (shard, unit, unit_upto, at_ms, entries, body) VALUES ($1, $2, $3, $4, $5, $6)', [
    s.shard,
    s.unit,
    s.unitUpto,
    s.atMs,
    s.entries,
    asBuffer(s.body),
  ]);
}

/** The newest snapshot of `shard` taken at or before `atMs` (any time when undefined). */
export async function latestSnapshot(db: SqlQueryable, shard: number, atMs?: number): Promise<SnapshotRow | undefined> {
  const rows =
    atMs === undefined
      ? await db.query('SELECT * FROM graph_snapshots WHERE shard = $1 ORDER BY unit DESC LIMIT 1', [shard])
      : await db.query('SELECT * FROM graph_snapshots WHERE shard = $1 AND at_ms <= $2 ORDER BY unit DESC LIMIT 1', [shard, atMs]);
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    shard: asNumber(r.shard),
    unit: asNumber(r.unit),
    unitUpto: asNumber(r.unit_upto),
    atMs: asNumber(r.at_ms),
    entries: asNumber(r.entries),
    body: asBytes(r.body),
  };
}

export interface TailRow {
  readonly seq: number;
  readonly unit: number;
  readonly kind: number;
  readonly atMs: number;
  readonly payload: Uint8Array;
}

/** The events of `shard` in units after `afterUnit` (and committed by `atMs`), in commit order. */
export async function* readTail(
  db: SqlQueryable,
  shard: number,
  afterUnit: number,
  atMs = Number.MAX_SAFE_INTEGER,
  pageSize = 20_000,
): AsyncGenerator<TailRow[]> {
  let afterSeq = -1;
  for (;;) {
    const rows = await db.query(
      `SELECT seq, unit, kind, at_ms, payload FROM graph_events
       WHERE shard = $1 AND unit > $2 AND at_ms <= $3 AND seq > $4 ORDER BY seq LIMIT $5`,
      [shard, afterUnit, atMs, afterSeq, pageSize],
    );
    if (rows.length === 0) return;
    const page = rows.map((r) => ({
      seq: asNumber(r.seq),
      unit: asNumber(r.unit),
      kind: asNumber(r.kind),
      atMs: asNumber(r.at_ms),
      payload: asBytes(r.payload),
    }));
    yield page;
    afterSeq = page[page.length - 1]!.seq;
    if (rows.length < pageSize) return;
  }
}

/** The highest seq and unit ever written (units include snapshot units and what they cover). */
export async function journalHighWater(db: SqlQueryable): Promise<{ seq: number; unit: number; atMs: number }> {
  const [e] = await db.query('SELECT max(seq) AS seq, max(unit) AS unit, max(at_ms) AS at FROM graph_events');
  const [s] = await db.query('SELECT max(unit) AS unit, max(unit_upto) AS upto, max(at_ms) AS at FROM graph_snapshots');
  return {
    seq: asNumber(e?.seq),
    unit: Math.max(asNumber(e?.unit), asNumber(s?.unit), asNumber(s?.upto)),
    atMs: Math.max(asNumber(e?.at), asNumber(s?.at)),
  };
}

/** Whether `shard`'s snapshot of commit unit `unit` is stored (how a snapshot-only group is found after a failed commit). */
export async function snapshotStored(db: SqlQueryable, shard: number, unit: number): Promise<boolean> {
  const rows = await db.query('SELECT 1 AS one FROM graph_snapshots WHERE shard = $1 AND unit = $2', [shard, unit]);
  return rows.length > 0;
}

export async function readMeta(db: SqlQueryable, key: string): Promise<string | undefined> {
  const rows = await db.query<{ value: string }>('SELECT value FROM graph_meta WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function writeMeta(db: SqlQueryable, key: string, value: string): Promise<void> {
  await db.query('INSERT INTO graph_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [
    key,
    value,
  ]);
}
