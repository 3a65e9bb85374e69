// Group commit for the graph journal. A client command becomes one commit unit (a ticket): every
// shard it touches submits its part, and a unit is written only whole, so a batch that spans
// shards is all-or-nothing. Units are written in the order they were opened (FIFO), many per
// transaction: a flush starts when `maxBatchEvents` are ready or `maxDelayMs` after the first one
// became ready, whichever comes first, and a ticket's promise resolves only after COMMIT. One
// flush at a time: a later group can never become durable before an earlier one.
//
// Bounded: `open` refuses (policy: reject, the caller answers "overloaded") once the events
// reserved by queued units reach `maxQueuedEvents`. A failed flush poisons the journal: shards have
// applied changes in memory that are not durable, so every queued unit fails and `open` refuses
// until `reset`, which the restarted shards call before they recover from storage.
//
// The journal writes through a connection of its own that holds the store's writer lock
// (writer-lock.ts), taken before it reads where the journal ends.
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import { appendGroup, journalHighWater, type EventRow, type SnapshotRow } from './journal-store.ts';
import type { SqlClient, WriterSession } from './sql.ts';
import type { WriterLockOptions } from './writer-lock.ts';

export interface GroupCommitOptions {
  readonly maxBatchEvents: number;
  readonly maxDelayMs: number;
  readonly maxQueuedEvents: number;
  /** Most events in one transaction. */
  readonly maxFlushEvents: number;
  /** A unit whose parts have not all arrived after this long fails (and poisons the journal). */
  readonly partTimeoutMs: number;
  /** How long opening (or recovering) the journal waits for a previous writer to let go. */
  readonly writerWaitMs: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatchEvents: 1_000,
  maxDelayMs: 2,
  maxQueuedEvents: 200_000,
  maxFlushEvents: 20_000,
  partTimeoutMs: 10_000,
  writerWaitMs: 30_000,
};

export type JournalErrorReason = 'overloaded' | 'storage-failed' | 'reset' | 'part-timeout' | 'closed';

export class JournalError extends Error {
  constructor(
    readonly reason: JournalErrorReason,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'JournalError';
  }
}

export interface CommitInfo {
  readonly unit: number;
  /** Commit time (wall ms), the time `replay to t` compares with. */
  readonly atMs: number;
}

export interface PartRow {
  readonly kind: number;
  readonly entity: number;
  readonly payload: Uint8Array;
}

export type SnapshotPart = Omit<SnapshotRow, 'unit' | 'atMs'>;

type TicketState = 'open' | 'ready' | 'flushing' | 'done' | 'failed';

export class Ticket {
  state: TicketState = 'open';
  /** Clock time it became ready (all parts in): the flush delay counts from here. */
  readyAt = 0;
  /** The shards' parts as submitted (kept, not copied: one object less per event). */
  readonly parts: { readonly shard: number; readonly rows: readonly PartRow[] }[] = [];
  /** Rows in `parts`. */
  events = 0;
  // A ticket is retained from open to commit, per event at 50k/s: it is kept small (no Set, no
  // empty arrays) so a backlog after a slow commit stays cheap for the garbage collector.
  snapshots: SnapshotPart[] | undefined;
  readonly done: Promise<CommitInfo>;
  resolve!: (info: CommitInfo) => void;
  reject!: (error: JournalError) => void;

  constructor(
    readonly unit: number,
    readonly epoch: number,
    /** Shards whose part has not come yet (a handful at most). */
    readonly waiting: number[],
    readonly reserved: number,
    readonly openedAt: number,
  ) {
    this.done = new Promise<CommitInfo>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Whoever cares attaches its own handler; an unobserved failure is not an unhandled rejection.
    this.done.catch(() => undefined);
  }
}

export interface JournalStats {
  readonly queuedUnits: number;
  readonly reservedEvents: number;
  readonly committedEvents: number;
  readonly flushes: number;
  readonly poisoned: boolean;
}

export class GroupCommitJournal {
  private readonly queue: Ticket[] = [];
  private nextSeq: number;
  private nextUnit: number;
  private lastAtMs: number;
  private reservedEvents = 0;
  private flushing: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private due = false;
  private poisoned: JournalError | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private committedEvents = 0;
  private flushes = 0;
  epoch = 0;

  private constructor(
    private readonly db: SqlClient,
    private writer: WriterSession,
    private readonly clock: Clock,
    private readonly wallNow: () => number,
    readonly options: GroupCommitOptions,
    private readonly lockOptions: WriterLockOptions,
    high: { seq: number; unit: number; atMs: number },
  ) {
    this.nextSeq = high.seq + 1;
    this.nextUnit = high.unit + 1;
    this.lastAtMs = high.atMs;
  }

  /** `onWriterWait` hears once when another process holds the writer lock and opening waits. */
  static async open(
    db: SqlClient,
    clock: Clock,
    options: Partial<GroupCommitOptions> = {},
    wallNow: () => number = Date.now,
    onWriterWait?: (holder: string) => void,
  ): Promise<GroupCommitJournal> {
    const o = { ...DEFAULT_GROUP_COMMIT, ...options };
    for (const [k, v] of Object.entries(o)) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`group commit ${k} must be a non-negative number`);
    if (o.maxBatchEvents < 1 || o.maxFlushEvents < o.maxBatchEvents) throw new RangeError('group commit needs 1 <= maxBatchEvents <= maxFlushEvents');
    const lockOptions: WriterLockOptions = { waitMs: o.writerWaitMs, ...(onWriterWait === undefined ? {} : { onWait: onWriterWait }) };
    const writer = await db.writerSession(lockOptions);
    try {
      return new GroupCommitJournal(db, writer, clock, wallNow, o, lockOptions, await journalHighWater(writer));
    } catch (error) {
      await writer.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Opens a unit that `shards` will each submit a part of, reserving room for `events` events.
   * Returns a JournalError (nothing reserved) when the queue is full, poisoned or closed.
   */
  open(shards: Iterable<number>, events: number): Ticket | JournalError {
    if (this.closed) return new JournalError('closed', 'the journal is closed');
    if (this.poisoned !== undefined) return new JournalError('storage-failed', `the journal failed and awaits recovery: ${this.poisoned.message}`);
    if (this.reservedEvents + events > this.options.maxQueuedEvents && this.queue.length > 0) {
      return new JournalError('overloaded', `group-commit queue full (${this.reservedEvents} events reserved, limit ${this.options.maxQueuedEvents})`);
    }
    const waiting: number[] = [];
    for (const s of shards) if (!waiting.includes(s)) waiting.push(s);
    const ticket = new Ticket(this.nextUnit++, this.epoch, waiting, events, this.clock.now());
    this.reservedEvents += events;
    this.queue.push(ticket);
    if (waiting.length === 0) this.ready(ticket);
    this.kick();
    return ticket;
  }

  /**
   * A shard's part of a unit. False when the unit is no longer open (failed, reset): do not apply.
   * `rows` is kept as it is until the commit: do not change it afterwards.
   */
  submit(ticket: Ticket, shard: number, rows: readonly PartRow[], snapshot?: SnapshotPart): boolean {
    const w = ticket.waiting.indexOf(shard);
    if (ticket.state !== 'open' || ticket.epoch !== this.epoch || w < 0) return false;
    if (rows.length > 0) {
      ticket.parts.push({ shard, rows });
      ticket.events += rows.length;
    }
    if (snapshot !== undefined) (ticket.snapshots ??= []).push(snapshot);
    ticket.waiting.splice(w, 1);
    if (ticket.waiting.length === 0) {
      this.ready(ticket);
      this.kick();
    }
    return true;
  }

  /** Whether a part for `ticket` would still be accepted. */
  isOpen(ticket: Ticket): boolean {
    return ticket.state === 'open' && ticket.epoch === this.epoch;
  }

  /**
   * Before shards recover: units still waiting for parts fail (their shards are restarting and
   * lost them), complete ones are committed, and the journal is ready for new units. After a
   * failure the writer's connection is replaced (waiting, like `open`, for the old backend to
   * finish whatever it was running) and the journal's end is read again.
   */
  async reset(): Promise<void> {
    this.epoch++;
    this.failIncomplete(new JournalError('reset', 'the graph restarted before this update was complete'));
    this.kick();
    await this.whenIdle();
    if (this.poisoned !== undefined) {
      await this.writer.close().catch(() => undefined);
      this.writer = await this.db.writerSession(this.lockOptions);
      const high = await journalHighWater(this.writer);
      this.nextSeq = high.seq + 1;
      this.nextUnit = Math.max(this.nextUnit, high.unit + 1);
      this.lastAtMs = Math.max(this.lastAtMs, high.atMs);
      this.poisoned = undefined;
    }
  }

  /** Resolves when nothing is queued or being written. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes what is complete, fails the rest, and refuses new units. */
  async close(): Promise<void> {
    this.failIncomplete(new JournalError('closed', 'the journal closed'));
    this.due = true;
    this.kick();
    await this.whenIdle();
    this.closed = true;
    this.timer?.cancel();
    await this.writer.close().catch(() => undefined);
  }

  stats(): JournalStats {
    return {
      queuedUnits: this.queue.length,
      reservedEvents: this.reservedEvents,
      committedEvents: this.committedEvents,
      flushes: this.flushes,
      poisoned: this.poisoned !== undefined,
    };
  }

  private ready(t: Ticket): void {
    t.state = 'ready';
    t.readyAt = this.clock.now();
  }

  private fail(t: Ticket, error: JournalError): void {
    if (t.state === 'done' || t.state === 'failed') return;
    t.state = 'failed';
    const i = this.queue.indexOf(t);
    if (i >= 0) this.queue.splice(i, 1);
    this.reservedEvents -= t.reserved;
    t.reject(error);
  }

  /**
   * Fails the units still waiting for parts, and every snapshot that may hold a part of one: a
   * shard that applied its part and then snapshotted (unitUpto >= that unit) must not make the
   * part durable without the rest. Complete units stay queued; they are whole on their own.
   */
  private failIncomplete(error: JournalError): void {
    let firstFailed = Infinity;
    for (const t of [...this.queue]) {
      if (t.state !== 'open') continue;
      firstFailed = Math.min(firstFailed, t.unit);
      this.fail(t, error);
    }
    for (const t of [...this.queue]) if (t.snapshots?.some((s) => s.unitUpto >= firstFailed) === true) this.fail(t, error);
  }

  private poison(error: JournalError): void {
    this.poisoned = error;
    for (const t of [...this.queue]) if (t.state !== 'flushing') this.fail(t, error);
  }

  /** Decides whether to flush now, later (timer) or not at all. */
  private kick(): void {
    if (this.flushing !== undefined) return;
    const head = this.queue[0];
    if (head === undefined) {
      this.due = false;
      this.timer?.cancel();
      this.timer = undefined;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    if (head.state === 'open') {
      const late = this.clock.now() - head.openedAt >= this.options.partTimeoutMs;
      if (late) {
        const error = new JournalError('part-timeout', `unit ${head.unit} still waits for shard parts ${head.waiting.join(', ')}`);
        this.fail(head, error);
        this.poison(error);
        this.kick();
        return;
      }
      this.arm(Math.max(0, head.openedAt + this.options.partTimeoutMs - this.clock.now()));
      return;
    }
    let ready = 0;
    let firstReadyAt = head.readyAt;
    for (const t of this.queue) {
      if (t.state !== 'ready') break;
      ready += t.events + (t.snapshots?.length ?? 0);
      firstReadyAt = Math.min(firstReadyAt, t.readyAt);
      if (ready >= this.options.maxBatchEvents) break;
    }
    // The delay counts from when the first of the ready units became ready, not from now: units
    // that arrived during a slow commit have waited already, and a fresh timer on top of that
    // commit would only add latency (at 50k events/s a flush finds far fewer than maxBatchEvents).
    const wait = firstReadyAt + this.options.maxDelayMs - this.clock.now();
    if (ready >= this.options.maxBatchEvents || this.due || wait <= 0) {
      this.due = false;
      this.timer?.cancel();
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        this.kick();
      });
      return;
    }
    this.arm(wait);
  }

  /** One timer for both deadlines (flush delay, part timeout): the earlier one wins. */
  private arm(delayMs: number): void {
    const due = this.clock.now() + delayMs;
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      this.timer.cancel();
    }
    this.timerDue = due;
    this.timer = this.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      if (this.queue[0]?.state === 'ready') this.due = true;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    const batch: Ticket[] = [];
    let events = 0;
    for (const t of this.queue) {
      if (t.state !== 'ready' || (events > 0 && events + t.events > this.options.maxFlushEvents)) break;
      batch.push(t);
      events += t.events;
    }
    this.queue.splice(0, batch.length);
    for (const t of batch) t.state = 'flushing';
    const atMs = Math.max(this.lastAtMs, Math.floor(this.wallNow()));
    const rows: EventRow[] = [];
    const snapshots: SnapshotRow[] = [];
    let seq = this.nextSeq;
    for (const t of batch) {
      for (const p of t.parts) for (const r of p.rows) rows.push({ seq: seq++, unit: t.unit, shard: p.shard, kind: r.kind, entity: r.entity, atMs, payload: r.payload });
      for (const s of t.snapshots ?? []) snapshots.push({ ...s, unit: t.unit, atMs });
    }
    try {
      // One statement, so one implicit transaction: all of the group or none of it.
      await appendGroup(this.writer, rows, snapshots);
    } catch (cause) {
      const error = new JournalError('storage-failed', `journal commit failed: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
      for (const t of batch) {
        t.state = 'failed';
        this.reservedEvents -= t.reserved;
        t.reject(error);
      }
      this.poison(error);
      return;
    }
    this.nextSeq = seq;
    this.lastAtMs = atMs;
    this.committedEvents += rows.length;
    this.flushes++;
    for (const t of batch) {
      t.state = 'done';
      this.reservedEvents -= t.reserved;
      t.resolve({ unit: t.unit, atMs });
    }
  }
}
