// The tasks table (migrations/004_tasks.sql) over SqlClient: the same SQL on PostgreSQL and PGlite.
// Writes come in batches, each one transaction: one statement (inserts and updates as CTEs) when
// the batch fits, else inserts then updates, many rows a statement as a JSON recordset. An update names the revision it was decided
// on, and is refused (the whole batch rolls back) when the row moved on since or when the move is
// not one that task.ts's moves can make: the store keeps the state machine even against a confused
// writer. One write of a batch may stand for several moves of its task (queued, then assigned,
// then done, between two commits), so the store allows what a chain of allowed moves reaches:
// from an open state almost anything, from a final one nothing.
import { asNumber, type SqlClient, type SqlQueryable, type SqlRow } from '../storage/sql.ts';
import { OPEN_STATES } from './transitions.ts';
import { TASK_STATES, type TaskRecord, type TaskState } from './task.ts';
import { isMoveAllowed } from './transitions.ts';

/** A row as stored: the record and the revision a later write must name. */
export interface StoredTask {
  readonly task: TaskRecord;
  readonly revision: number;
}

/** One change of a batch: `expectedRevision` 0 inserts, otherwise updates that revision. */
export interface TaskWrite {
  readonly task: TaskRecord;
  readonly expectedRevision: number;
}

export interface TaskListQuery {
  readonly states?: readonly TaskState[];
  readonly parentId?: string;
  readonly limit: number;
}

export class StaleTaskWriteError extends Error {
  constructor(readonly taskIds: readonly string[]) {
    super(`task write refused (moved on since, or not an allowed move): ${taskIds.slice(0, 5).join(', ')}`);
    this.name = 'StaleTaskWriteError';
  }
}

const ROWS_PER_STATEMENT = 1_000;
export const MAX_LIST = 10_000;

const COLUMNS = [
  ['id', 'text'],
  ['parent_id', 'text'],
  ['swarm', 'text'],
  ['state', 'text'],
  ['description', 'text'],
  ['recipe', 'text'],
  ['capability', 'text'],
  ['input', 'text'],
  ['priority', 'smallint'],
  ['deadline_ms', 'bigint'],
  ['max_attempts', 'integer'],
  ['attempts', 'integer'],
  ['agent_id', 'text'],
  ['lease_until', 'bigint'],
  ['progress', 'double precision'],
  ['result', 'text'],
  ['errors', 'jsonb'],
  ['subtasks', 'jsonb'],
  ['submitted_by', 'text'],
  ['created_ms', 'bigint'],
  ['updated_ms', 'bigint'],
] as const;

const NAMES = COLUMNS.map(([name]) => name).join(', ');
const recordset = (param: string): string =>
  `jsonb_to_recordset(${param}::jsonb) AS x(${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')}, expected bigint)`;
const RECORDSET = recordset('$1');
/** The states a chain of allowed moves reaches from `from` (transitions.ts). */
function reachable(from: TaskState): Set<TaskState> {
  const seen = new Set<TaskState>();
  const next = [from];
  for (let state = next.pop(); state !== undefined; state = next.pop())
    for (const to of TASK_STATES) if (isMoveAllowed(state, to) && !seen.has(to)) next.push((seen.add(to), to));
  return seen;
}

/** Every move a batch's write may stand for, as 'from>to' (constants, not input). */
const MOVES = TASK_STATES.flatMap((from) => [...reachable(from)].map((to) => `'${from}>${to}'`)).join(', ');

/** The update's condition: the row is still at the revision the write was decided on, and the move is allowed. */
const CURRENT = `t.revision = x.expected AND (t.state = x.state OR t.state || '>' || x.state IN (${MOVES}))`;
const INSERT_SQL = `INSERT INTO tasks (${NAMES}, revision) SELECT ${NAMES}, 1 FROM ${RECORDSET}`;
const UPDATE_SQL = `UPDATE tasks AS t SET ${COLUMNS.filter(([n]) => n !== 'id')
  .map(([n]) => `${n} = x.${n}`)
  .join(', ')}, revision = t.revision + 1
  FROM ${RECORDSET}
  WHERE t.id = x.id AND ${CURRENT}
  RETURNING t.id`;
/**
 * A whole batch as one statement, so one round trip (PostgreSQL runs it as one transaction): the
 * inserts and the updates as data-modifying CTEs, and a division by zero when fewer rows were
 * updated than asked, which fails the statement and so rolls all of it back.
 */
const APPLY_SQL = `WITH ins AS (INSERT INTO tasks (${NAMES}, revision) SELECT ${NAMES}, 1 FROM ${recordset('$1')} RETURNING 1),
  upd AS (UPDATE tasks AS t SET ${COLUMNS.filter(([n]) => n !== 'id')
    .map(([n]) => `${n} = x.${n}`)
    .join(', ')}, revision = t.revision + 1
    FROM ${recordset('$2')}
    WHERE t.id = x.id AND ${CURRENT}
    RETURNING t.id)
  SELECT (SELECT count(*) FROM ins) AS inserted, 1 / (CASE WHEN (SELECT count(*) FROM upd) = $3::bigint THEN 1 ELSE 0 END) AS ok`;
/** After a failed batch: which of its updates would not apply (the batch rolled back, so the rows are as before). */
const STALE_SQL = `SELECT x.id FROM ${RECORDSET} LEFT JOIN tasks AS t ON t.id = x.id WHERE t.id IS NULL OR NOT (${CURRENT})`;
const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(', ');

export class TaskStore {
  constructor(private readonly db: SqlClient) {}

  async insert(task: TaskRecord): Promise<void> {
    await this.apply([{ task, expectedRevision: 0 }]);
  }

  /** A parent's plan: its subtasks and the parent's update, in one transaction. */
  async insertSubtasks(parent: TaskRecord, parentRevision: number, subtasks: readonly TaskRecord[]): Promise<void> {
    await this.apply([...subtasks.map((task) => ({ task, expectedRevision: 0 })), { task: parent, expectedRevision: parentRevision }]);
  }

  /** Every write of a batch in one transaction: all land, or none (StaleTaskWriteError, or the driver's error). */
  async apply(writes: readonly TaskWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const inserts = writes.filter((w) => w.expectedRevision === 0);
    const updates = writes.filter((w) => w.expectedRevision !== 0);
    if (inserts.length <= ROWS_PER_STATEMENT && updates.length <= ROWS_PER_STATEMENT) return this.applyAtOnce(inserts, updates);
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < inserts.length; i += ROWS_PER_STATEMENT)
        await tx.query(INSERT_SQL, [rowsJson(inserts.slice(i, i + ROWS_PER_STATEMENT))]);
      for (let i = 0; i < updates.length; i += ROWS_PER_STATEMENT) await update(tx, updates.slice(i, i + ROWS_PER_STATEMENT));
    });
  }

  /**
   * A batch that fits one statement: one round trip, as PostgreSQL (and PGlite) runs a statement
   * as a transaction of its own, all of it or none; no BEGIN and COMMIT around it.
   */
  private async applyAtOnce(inserts: readonly TaskWrite[], updates: readonly TaskWrite[]): Promise<void> {
    const updated = rowsJson(updates);
    try {
      await this.db.query(APPLY_SQL, [rowsJson(inserts), updated, updates.length]);
    } catch (error) {
      if (updates.length === 0) throw error;
      // The division by zero, or the driver's error: only the rows, as they are again after the
      // rollback, can say which.
      const rows = await this.db.query<{ id: string }>(STALE_SQL, [updated]).catch(() => []);
      const stale = new Set(rows.map((r) => r.id));
      if (stale.size === 0) throw error;
      throw new StaleTaskWriteError(updates.map((w) => w.task.id).filter((id) => stale.has(id)));
    }
  }

  /** Open (queued, assigned, running) tasks in id order, a page at a time after `afterId`. */
  async loadOpen(afterId: string, limit: number): Promise<StoredTask[]> {
    const rows = await this.db.query(`SELECT * FROM tasks WHERE state IN (${OPEN_LIST}) AND id > $1 ORDER BY id LIMIT $2`, [
      afterId,
      clampLimit(limit),
    ]);
    return rows.map(fromRow);
  }

  async get(id: string): Promise<StoredTask | undefined> {
    const rows = await this.db.query('SELECT * FROM tasks WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** Newest first. */
  async list(q: TaskListQuery): Promise<StoredTask[]> {
    const states = q.states === undefined || q.states.length === 0 ? null : JSON.stringify(q.states);
    const rows = await this.db.query(
      `SELECT * FROM tasks
       WHERE ($1::jsonb IS NULL OR $1::jsonb ? state) AND ($2::text IS NULL OR parent_id = $2)
       ORDER BY created_ms DESC, id LIMIT $3`,
      [states, q.parentId ?? null, clampLimit(q.limit)],
    );
    return rows.map(fromRow);
  }
}

async function update(tx: SqlQueryable, writes: readonly TaskWrite[]): Promise<void> {
  const rows = await tx.query<{ id: string }>(UPDATE_SQL, [rowsJson(writes)]);
  if (rows.length === writes.length) return;
  const written = new Set(rows.map((r) => r.id));
  throw new StaleTaskWriteError(writes.map((w) => w.task.id).filter((id) => !written.has(id)));
}

function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.min(Math.max(1, Math.floor(limit)), MAX_LIST) : MAX_LIST;
}

function rowsJson(writes: readonly TaskWrite[]): string {
  return JSON.stringify(
    writes.map(({ task: t, expectedRevision }) => ({
      id: t.id,
      parent_id: t.parentId ?? null,
      swarm: t.swarm,
      state: t.state,
      description: t.description,
      recipe: t.recipe ?? null,
      capability: t.capability,
      input: t.input,
      priority: t.priority,
      deadline_ms: t.deadlineMs,
      max_attempts: t.maxAttempts,
      attempts: t.attempts,
      agent_id: t.agentId ?? null,
      lease_until: t.leaseUntil ?? null,
      progress: t.progress,
      result: t.result ?? null,
      errors: t.errors,
      subtasks: t.subtasks,
      submitted_by: t.submittedBy,
      created_ms: t.createdMs,
      updated_ms: t.updatedMs,
      expected: expectedRevision,
    })),
  );
}

function fromRow(r: SqlRow): StoredTask {
  return {
    revision: asNumber(r.revision),
    task: {
      id: String(r.id),
      parentId: optionalText(r.parent_id),
      swarm: String(r.swarm),
      state: r.state as TaskState,
      description: String(r.description),
      recipe: optionalText(r.recipe),
      capability: String(r.capability),
      input: String(r.input),
      priority: asNumber(r.priority),
      deadlineMs: asNumber(r.deadline_ms),
      maxAttempts: asNumber(r.max_attempts),
      attempts: asNumber(r.attempts),
      agentId: optionalText(r.agent_id),
      leaseUntil: r.lease_until === null || r.lease_until === undefined ? undefined : asNumber(r.lease_until),
      progress: asNumber(r.progress),
      result: optionalText(r.result),
      errors: textArray(r.errors),
      subtasks: textArray(r.subtasks),
      submittedBy: String(r.submitted_by),
      createdMs: asNumber(r.created_ms),
      updatedMs: asNumber(r.updated_ms),
    },
  };
}

function optionalText(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

/** jsonb arrives parsed from both drivers; text is parsed, in case a driver leaves it so. */
function textArray(v: unknown): readonly string[] {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return Array.isArray(parsed) ? parsed.map(String) : [];
}
