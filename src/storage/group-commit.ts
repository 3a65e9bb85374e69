// Group commit for the graph journal. A client command becomes one commit unit (a ticket): every
// shard it touches submits its part, and a unit is written only whole, so a batch that spans
// shards is all-or-nothing. Many units go in one transaction: a flush starts when `maxBatchEvents`
// are ready or `maxDelayMs` after the first one became ready, whichever comes first, and a
// ticket's promise resolves only after COMMIT. One flush at a time.
//
// Units wait only for what they depend on. Whoever opens a unit names the earlier units it was
// decided on top of (`after`: the router's pending writes to the same nodes and edges, a snapshot's
// pending units of its shard); a unit commits in the same flush as those or after them, never
// before, and fails when one of them fails. Units with nothing in common commit in the order they
// became ready (by unit number among those ready at once), so a shard that stalls holds back the
// units that wait for its part and nothing else.
//
// Bounded: `open` refuses (policy: reject, the caller answers "overloaded") once the events
// reserved by queued units reach `maxQueuedEvents`. A unit whose parts have not all arrived
// `partTimeoutMs` after it opened fails with the shards it waited for named, and so do the units
// that depend on it; the shards roll their parts back (graph-shard.ts).
//
// The journal owns the writer's connection, which holds the store's writer lock (writer-lock.ts),
// for the life of the store. When a flush fails, its outcome is in doubt (the server may have
// committed it after the connection broke): the journal replaces the connection (ending its own
// previous backend rather than waiting for it as for another process), reads where the journal
// ends, and settles the flushed units as committed or failed from what it finds. Meanwhile new
// units are refused as 'storage-failed' and `problem` says why.
import type { Clock, TimerHandle } from '../shared/clock.ts';
import { appendGroup, journalHighWater, snapshotStored, type EventRow, type SnapshotRow } from './journal-store.ts';
import type { SqlClient, WriterSession } from './sql.ts';
import type { WriterLockOptions } from './writer-lock.ts';

export interface GroupCommitOptions {
  readonly maxBatchEvents: number;
  readonly maxDelayMs: number;
  readonly maxQueuedEvents: number;
  /** Most events in one transaction. */
  readonly maxFlushEvents: number;
  /** A unit whose parts have not all arrived after this long fails, with the units that depend on it. */
  readonly partTimeoutMs: number;
  /** How long opening the journal waits for another process's writer to let go. */
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

/** Between attempts to get the writer's connection back after a failed flush. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * - overloaded: the queue is full; storage-failed: the store could not be written;
 * - part-timeout: a shard did not submit its part in time (`shards` names it);
 * - shard-restarted: a shard restarted before its part arrived (`shards` names it);
 * - aborted: a unit this one depends on failed; closed: the journal closed.
 */
export type JournalErrorReason = 'overloaded' | 'storage-failed' | 'part-timeout' | 'shard-restarted' | 'aborted' | 'closed';

export class JournalError extends Error {
  constructor(
    readonly reason: JournalErrorReason,
    message: string,
    override readonly cause?: unknown,
    /** The shards that made the unit fail, where some did. */
    readonly shards: readonly number[] = [],
  ) {
    super(message);
    this.name = 'JournalError';
  }
}

export interface CommitInfo {
  readonly unit: number;
  /** Commit time (wall ms), the time `replay to t` compares with. */
  readonly atMs: number;
  /** The journal seq of the unit's last event: grows with commit order. Undefined: no events. */
  readonly seq: number | undefined;
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
  /** Earlier units it depends on that are neither committed nor in a flush under way. */
  blockers = 0;
  /** Later units that depend on it. */
  dependents: Ticket[] | undefined;
  readonly done: Promise<CommitInfo>;
  resolve!: (info: CommitInfo) => void;
  reject!: (error: JournalError) => void;

  constructor(
    readonly unit: number,
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

  /** Committed or failed. */
  get settled(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }
}

export interface JournalStats {
  readonly queuedUnits: number;
  readonly reservedEvents: number;
  readonly committedEvents: number;
  readonly flushes: number;
  /** Why the store cannot be written now (the writer's connection is being replaced); undefined: it can. */
  readonly problem: string | undefined;
}

export class GroupCommitJournal {
  /** Units neither committed nor failed. */
  private readonly live = new Set<Ticket>();
  /** Units in open order, for their part timeouts (settled ones are skipped as they come up). */
  private readonly opened: Ticket[] = [];
  private openedHead = 0;
  /** Ready units with nothing left to wait for, by unit number: the next flush takes from the front. */
  private readonly runnable: Ticket[] = [];
  private nextSeq: number;
  private nextUnit: number;
  private lastAtMs: number;
  private reservedEvents = 0;
  private flushing: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private due = false;
  private closed = false;
  private writer: WriterSession | undefined;
  private storeProblem: string | undefined;
  private idleWaiters: (() => void)[] = [];
  private committedEvents = 0;
  private flushes = 0;
  private failed = 0;

  private constructor(
    private readonly db: SqlClient,
    writer: WriterSession,
    private readonly clock: Clock,
    private readonly wallNow: () => number,
    readonly options: GroupCommitOptions,
    private readonly lockOptions: WriterLockOptions,
    high: { seq: number; unit: number; atMs: number },
  ) {
    this.writer = writer;
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
    for (const [k, v] of Object.entries(o))
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`group commit ${k} must be a non-negative number`);
    if (o.maxBatchEvents < 1 || o.maxFlushEvents < o.maxBatchEvents)
      throw new RangeError('group commit needs 1 <= maxBatchEvents <= maxFlushEvents');
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
   * `after`: earlier units this one was decided on top of; it commits with or after them, and
   * fails if one of them fails. Returns a JournalError (nothing reserved) when the queue is full,
   * the store cannot be written, the journal is closed or one of `after` has failed already.
   */
  open(shards: Iterable<number>, events: number, after?: Iterable<Ticket>): Ticket | JournalError {
    if (this.closed) return new JournalError('closed', 'the journal is closed');
    if (this.storeProblem !== undefined) return new JournalError('storage-failed', `the store cannot be written now: ${this.storeProblem}`);
    if (this.reservedEvents + events > this.options.maxQueuedEvents && this.live.size > 0) {
      return new JournalError(
        'overloaded',
        `group-commit queue full (${this.reservedEvents} events reserved, limit ${this.options.maxQueuedEvents})`,
      );
    }
    const deps: Ticket[] = [];
    for (const d of after ?? []) {
      if (d.state === 'failed') return new JournalError('aborted', `unit ${d.unit}, which this update builds on, failed`);
      if (d.state !== 'done' && !deps.includes(d)) deps.push(d);
    }
    const waiting: number[] = [];
    for (const s of shards) if (!waiting.includes(s)) waiting.push(s);
    const ticket = new Ticket(this.nextUnit++, waiting, events, this.clock.now());
    // One in a flush under way blocks nothing (this unit goes in a later flush) but still takes
    // this one down if that flush fails.
    for (const d of deps) {
      (d.dependents ??= []).push(ticket);
      if (d.state !== 'flushing') ticket.blockers++;
    }
    this.reservedEvents += events;
    this.live.add(ticket);
    this.opened.push(ticket);
    if (waiting.length === 0) this.ready(ticket);
    this.kick();
    return ticket;
  }

  /**
   * A shard's part of a unit. False when the unit is no longer open (it failed): do not apply.
   * `rows` is kept as it is until the commit: do not change it afterwards.
   */
  submit(ticket: Ticket, shard: number, rows: readonly PartRow[], snapshot?: SnapshotPart): boolean {
    const w = ticket.waiting.indexOf(shard);
    if (ticket.state !== 'open' || w < 0) return false;
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
    return ticket.state === 'open';
  }

  /**
   * A shard restarted: the units still waiting for its part will not get it (the message that
   * carried it may be what failed), so they fail now, with the units that depend on them.
   */
  failWaitingFor(shard: number, why: string): void {
    for (const t of [...this.live]) {
      if (t.state === 'open' && t.waiting.includes(shard)) {
        this.failWithDependents(
          t,
          new JournalError('shard-restarted', `shard ${shard} ${why} before its part of unit ${t.unit} arrived`, undefined, [shard]),
        );
      }
    }
    this.kick();
  }

  /**
   * Whoever opened the units still waiting for parts restarted (the graph router): they fail now,
   * with the units that depend on them, rather than hold up its recovery until they time out.
   */
  failIncomplete(why: string): void {
    for (const t of [...this.live]) {
      if (t.state === 'open') this.failWithDependents(t, new JournalError('aborted', `unit ${t.unit}: ${why}`, undefined, [...t.waiting]));
    }
    this.kick();
  }

  /**
   * Resolves when every unit `shard` has submitted a part of (or a snapshot in) is committed or
   * failed: from then on storage holds everything of that shard that will ever be committed.
   */
  async whenSettled(shard: number): Promise<void> {
    const mine = [...this.live].filter(
      (t) => t.parts.some((p) => p.shard === shard) || t.snapshots?.some((s) => s.shard === shard) === true,
    );
    await Promise.allSettled(mine.map((t) => t.done));
  }

  /** Resolves when no unit is queued or being written. */
  whenIdle(): Promise<void> {
    if (this.live.size === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Units failed so far: whoever applied parts of units compares it with what it saw last, and rolls
   * back before it decides anything else, whether or not a notice of the failure has reached it.
   */
  get failedUnits(): number {
    return this.failed;
  }

  /** The seq of the last committed event (0 for an empty journal): what graph versions start from. */
  get committedSeq(): number {
    return this.nextSeq - 1;
  }

  /** Writes what is complete, fails the rest, and refuses new units. */
  async close(): Promise<void> {
    const closing = new JournalError('closed', 'the journal closed');
    for (const t of [...this.live]) if (t.state === 'open') this.failWithDependents(t, closing);
    this.closed = true;
    this.due = true;
    this.kick();
    await this.whenIdle();
    this.timer?.cancel();
    await this.writer?.close().catch(() => undefined);
    this.writer = undefined;
  }

  stats(): JournalStats {
    return {
      queuedUnits: this.live.size,
      reservedEvents: this.reservedEvents,
      committedEvents: this.committedEvents,
      flushes: this.flushes,
      problem: this.storeProblem,
    };
  }

  private ready(t: Ticket): void {
    t.state = 'ready';
    t.readyAt = this.clock.now();
    if (t.blockers === 0) this.makeRunnable(t);
  }

  private makeRunnable(t: Ticket): void {
    const r = this.runnable;
    let i = r.length;
    while (i > 0 && r[i - 1]!.unit > t.unit) i--;
    r.splice(i, 0, t);
  }

  /**
   * A unit went into a flush: units that waited only for it may join that flush or a later one.
   * Its dependents stay listed, so that a failed flush fails them too.
   */
  private release(t: Ticket): void {
    for (const d of t.dependents ?? []) {
      if (d.settled) continue;
      d.blockers--;
      if (d.blockers === 0 && d.state === 'ready') this.makeRunnable(d);
    }
  }

  private settle(t: Ticket): void {
    this.live.delete(t);
    this.reservedEvents -= t.reserved;
  }

  /** Fails `first` and, transitively, every unit that depends on it. */
  private failWithDependents(first: Ticket, error: JournalError): void {
    const stack: [Ticket, JournalError][] = [[first, error]];
    while (stack.length > 0) {
      const [t, e] = stack.pop()!;
      if (t.settled) continue;
      if (t.state === 'ready' && t.blockers === 0) {
        const i = this.runnable.indexOf(t);
        if (i >= 0) this.runnable.splice(i, 1);
      }
      t.state = 'failed';
      this.failed++;
      this.settle(t);
      t.reject(e);
      const because = new JournalError('aborted', `unit ${t.unit}, which this update builds on, failed: ${e.message}`, undefined, e.shards);
      for (const d of t.dependents ?? []) stack.push([d, because]);
      t.dependents = undefined;
    }
  }

  /** Fails the units whose parts are overdue; returns the next part deadline (Infinity: none). */
  private expireParts(): number {
    const now = this.clock.now();
    while (this.openedHead < this.opened.length) {
      const t = this.opened[this.openedHead]!;
      if (t.state !== 'open') {
        this.openedHead++;
        continue;
      }
      const deadline = t.openedAt + this.options.partTimeoutMs;
      if (deadline > now) break;
      this.openedHead++;
      const shards = [...t.waiting];
      this.failWithDependents(
        t,
        new JournalError(
          'part-timeout',
          `unit ${t.unit}: shard ${shards.join(', ')} did not submit its part within ${this.options.partTimeoutMs} ms`,
          undefined,
          shards,
        ),
      );
    }
    if (this.openedHead > 1024 && this.openedHead * 2 > this.opened.length) {
      this.opened.splice(0, this.openedHead);
      this.openedHead = 0;
    }
    const head = this.opened[this.openedHead];
    return head === undefined ? Infinity : head.openedAt + this.options.partTimeoutMs;
  }

  /** Decides whether to flush now, later (timer) or not at all. */
  private kick(): void {
    const nextPartDeadline = this.expireParts();
    if (this.flushing !== undefined) return;
    if (this.runnable.length === 0) {
      this.due = false;
      if (nextPartDeadline === Infinity) {
        this.timer?.cancel();
        this.timer = undefined;
      } else this.arm(nextPartDeadline - this.clock.now());
      if (this.live.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    let ready = 0;
    let firstReadyAt = Infinity;
    for (const t of this.runnable) {
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
    this.arm(Math.min(wait, nextPartDeadline - this.clock.now()));
  }

  /** One timer for both deadlines (flush delay, part timeout): the earlier one wins. */
  private arm(delayMs: number): void {
    const due = this.clock.now() + Math.max(0, delayMs);
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      this.timer.cancel();
    }
    this.timerDue = due;
    this.timer = this.clock.setTimer(Math.max(0, delayMs), () => {
      this.timer = undefined;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    const batch: Ticket[] = [];
    let events = 0;
    // The batch is a prefix of `runnable`; a unit released into it sorts after the one that
    // released it (a later unit), so it lands past the prefix taken so far.
    let taken = 0;
    while (taken < this.runnable.length) {
      const t = this.runnable[taken]!;
      if (events > 0 && events + t.events > this.options.maxFlushEvents) break;
      taken++;
      t.state = 'flushing';
      batch.push(t);
      events += t.events;
      // One statement is all or nothing: units that waited only for this one may join it.
      this.release(t);
    }
    this.runnable.splice(0, taken);
    const atMs = Math.max(this.lastAtMs, Math.floor(this.wallNow()));
    const rows: EventRow[] = [];
    const snapshots: SnapshotRow[] = [];
    const firstSeq = this.nextSeq;
    let seq = firstSeq;
    const lastSeq = new Map<Ticket, number>();
    for (const t of batch) {
      for (const p of t.parts)
        for (const r of p.rows)
          rows.push({ seq: seq++, unit: t.unit, shard: p.shard, kind: r.kind, entity: r.entity, atMs, payload: r.payload });
      if (t.events > 0) lastSeq.set(t, seq - 1);
      for (const s of t.snapshots ?? []) snapshots.push({ ...s, unit: t.unit, atMs });
    }
    let committed: boolean;
    let failure: unknown;
    try {
      if (this.writer === undefined) throw new Error('no writer connection');
      // One statement, so one implicit transaction: all of the group or none of it.
      await appendGroup(this.writer, rows, snapshots);
      committed = true;
    } catch (cause) {
      failure = cause;
      committed = await this.settleDoubt(cause, rows.length > 0 ? firstSeq : undefined, snapshots[0]);
    }
    if (!committed) {
      const error = new JournalError(
        'storage-failed',
        `journal commit failed: ${failure instanceof Error ? failure.message : String(failure)}`,
        failure,
      );
      for (const t of batch) this.failWithDependents(t, error);
      return;
    }
    this.nextSeq = Math.max(this.nextSeq, seq);
    this.lastAtMs = Math.max(this.lastAtMs, atMs);
    this.committedEvents += rows.length;
    this.flushes++;
    for (const t of batch) {
      t.state = 'done';
      this.settle(t);
      t.resolve({ unit: t.unit, atMs, seq: lastSeq.get(t) });
    }
  }

  /**
   * A flush failed: its group may or may not have committed. Gets a working writer connection back
   * (retrying while the store is unreachable), then reads whether the group is there. Returns
   * false as well when the journal closes first.
   */
  private async settleDoubt(cause: unknown, firstSeq: number | undefined, snapshot: SnapshotRow | undefined): Promise<boolean> {
    this.storeProblem = cause instanceof Error ? cause.message : String(cause);
    const previous = this.writer;
    this.writer = undefined;
    await previous?.close().catch(() => undefined);
    let delay = RECONNECT_MIN_MS;
    for (;;) {
      if (this.closed) return false;
      let session: WriterSession | undefined;
      try {
        session = await this.db.writerSession({
          ...this.lockOptions,
          ...(previous?.backendPid === undefined ? {} : { previousBackend: previous.backendPid }),
        });
        const high = await journalHighWater(session);
        const stored =
          firstSeq !== undefined
            ? high.seq >= firstSeq
            : snapshot !== undefined && (await snapshotStored(session, snapshot.shard, snapshot.unit));
        this.nextSeq = Math.max(this.nextSeq, high.seq + 1);
        this.nextUnit = Math.max(this.nextUnit, high.unit + 1);
        this.lastAtMs = Math.max(this.lastAtMs, high.atMs);
        this.writer = session;
        this.storeProblem = undefined;
        return stored;
      } catch (error) {
        await session?.close().catch(() => undefined);
        this.storeProblem = error instanceof Error ? error.message : String(error);
        // Units that were never sent cannot have committed: they fail now rather than wait.
        const unreachable = new JournalError('storage-failed', `the store cannot be written now: ${this.storeProblem}`, error);
        for (const t of [...this.live]) if (t.state === 'open' || t.state === 'ready') this.failWithDependents(t, unreachable);
        await new Promise<void>((resolve) => this.clock.setTimer(delay, resolve));
        delay = Math.min(RECONNECT_MAX_MS, delay * 2);
      }
    }
  }
}
