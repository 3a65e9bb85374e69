// Group commit on the virtual clock with a scripted database: a flush starts at `maxBatchEvents`
// or `maxDelayMs` after the first ready unit, whichever comes first; units commit whole and in
// order, a unit spanning shards waits for every part; acks come after COMMIT; the queue is
// bounded; a failed commit poisons the journal until reset.
import test from 'ava';
import { VirtualClock } from '../../src/runtime/clock.ts';
import { GroupCommitJournal, JournalError, type Ticket } from '../../src/storage/group-commit.ts';
import type { SqlClient, SqlQueryable, SqlRow } from '../../src/storage/sql.ts';

interface Scripted {
  readonly db: SqlClient;
  /** Units of each committed transaction, in order. */
  readonly commits: number[][];
  failNext: boolean;
  /** Holds every COMMIT until released. */
  hold: Promise<void> | undefined;
}

function scriptedDb(): Scripted {
  const s: Scripted = {
    commits: [],
    failNext: false,
    hold: undefined,
    db: undefined as unknown as SqlClient,
  };
  const units = (literal: unknown): number[] => {
    const body = (literal as string).slice(1, -1);
    return body === '' ? [] : body.split(',').map(Number);
  };
  const tx: SqlQueryable = {
    async query<R extends SqlRow>(text: string, params?: readonly unknown[]): Promise<R[]> {
      if (text.startsWith('SELECT max')) return [{}] as R[];
      // A group commit is one statement (its own transaction): events' units, then snapshots' (negated).
      if (text.startsWith('WITH events AS')) {
        const current = [...units(params![1]), ...units(params![10]).map((u) => -u)];
        if (s.hold !== undefined) await s.hold;
        if (s.failNext) {
          s.failNext = false;
          throw new Error('disk on fire');
        }
        s.commits.push([...new Set(current)]);
      }
      return [] as R[];
    },
    exec: async () => undefined,
  };
  (s as { db: SqlClient }).db = {
    kind: 'pglite',
    ...tx,
    transaction: <T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T> => fn(tx),
    writerSession: async () => ({ ...tx, close: async () => undefined }),
    close: async () => undefined,
  };
  return s;
}

const row = (n: number) => ({ kind: 1, entity: n, payload: new Uint8Array([n]) });
const settle = () => new Promise<void>((r) => setImmediate(r));

async function journal(s: Scripted, clock: VirtualClock, o: Partial<GroupCommitJournal['options']> = {}) {
  return GroupCommitJournal.open(s.db, clock, { maxBatchEvents: 3, maxDelayMs: 5, maxQueuedEvents: 10, partTimeoutMs: 1_000, ...o }, () => 1_000 + clock.now());
}

function open(j: GroupCommitJournal, shards: number[], events: number): Ticket {
  const t = j.open(shards, events);
  if (t instanceof JournalError) throw t;
  return t;
}

test('a flush starts after maxDelayMs when the batch is not full', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const a = open(j, [0], 1);
  j.submit(a, 0, [row(1)]);
  let acked = false;
  void a.done.then(() => (acked = true));
  clock.advance(4);
  await settle();
  t.deepEqual(s.commits, []);
  t.false(acked, 'no ack before the commit');
  clock.advance(1);
  await settle();
  t.deepEqual(s.commits, [[a.unit]]);
  t.true(acked);
});

test('a flush starts at once when maxBatchEvents are ready', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const units: number[] = [];
  for (let i = 0; i < 3; i++) {
    const u = open(j, [0], 1);
    units.push(u.unit);
    j.submit(u, 0, [row(i)]);
  }
  await settle();
  t.deepEqual(s.commits, [units], 'one transaction, no waiting on the clock');
});

test('a unit spanning shards commits whole, and later units wait for it (FIFO)', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const both = open(j, [0, 1], 2);
  const later = open(j, [0], 1);
  j.submit(both, 0, [row(1)]);
  j.submit(later, 0, [row(2)]);
  clock.advance(50);
  await settle();
  t.deepEqual(s.commits, [], 'shard 1 has not submitted its part');
  j.submit(both, 1, [row(3)]);
  clock.advance(5);
  await settle();
  t.deepEqual(s.commits, [[both.unit, later.unit]]);
});

test('a part that never comes fails its unit after partTimeoutMs and poisons the journal', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const stuck = open(j, [0, 1], 2);
  const after = open(j, [0], 1);
  j.submit(stuck, 0, [row(1)]);
  j.submit(after, 0, [row(2)]);
  const e1 = t.throwsAsync(stuck.done, { instanceOf: JournalError });
  const e2 = t.throwsAsync(after.done, { instanceOf: JournalError });
  clock.advance(1_000);
  await settle();
  await e1;
  await e2;
  t.is((j.open([0], 1) as JournalError).reason, 'storage-failed');
  await j.reset();
  t.false(j.open([0], 1) instanceof JournalError, 'reset makes it usable again');
});

test('the queue is bounded: beyond maxQueuedEvents a unit is refused as overloaded', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  open(j, [0], 8);
  const refused = j.open([0], 3);
  t.true(refused instanceof JournalError);
  t.is((refused as JournalError).reason, 'overloaded');
  t.is(j.stats().reservedEvents, 8);
});

test('a failed commit fails its units and everything queued, and refuses new units until reset', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock, { maxBatchEvents: 1 });
  let release!: () => void;
  s.hold = new Promise((r) => (release = r));
  s.failNext = true;
  const a = open(j, [0], 1);
  j.submit(a, 0, [row(1)]);
  const b = open(j, [0], 1);
  j.submit(b, 0, [row(2)]);
  const fa = t.throwsAsync(a.done, { message: /disk on fire/ });
  const fb = t.throwsAsync(b.done, { instanceOf: JournalError });
  s.hold = undefined;
  release();
  await fa;
  await fb;
  t.deepEqual(s.commits, []);
  t.true(j.stats().poisoned);
  await j.reset();
  const c = open(j, [0], 1);
  j.submit(c, 0, [row(3)]);
  await c.done;
  t.deepEqual(s.commits, [[c.unit]]);
});

test('reset fails units still waiting for parts and commits the complete ones first', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const complete = open(j, [0], 1);
  j.submit(complete, 0, [row(1)]);
  const partial = open(j, [0, 1], 2);
  j.submit(partial, 0, [row(2)]);
  const gone = t.throwsAsync(partial.done, { instanceOf: JournalError, message: /restarted/ });
  const resetting = j.reset();
  clock.advance(5);
  await resetting;
  await gone;
  await complete.done;
  t.deepEqual(s.commits, [[complete.unit]]);
  t.false(j.submit(partial, 1, [row(3)]), 'a late part of a failed unit is refused');
});

test('reset and close drop a snapshot that may hold a part of a unit they fail, and keep earlier snapshots', async (t) => {
  for (const end of ['reset', 'close'] as const) {
    const s = scriptedDb();
    const clock = new VirtualClock();
    const j = await journal(s, clock);
    const before = open(j, [1], 0);
    j.submit(before, 1, [], { shard: 1, unitUpto: before.unit - 1, entries: 0, body: new Uint8Array([1]) });
    const partial = open(j, [0, 1], 2);
    j.submit(partial, 0, [row(2)]);
    // Shard 0 applied its part of `partial`, then snapshotted: the snapshot holds that part.
    const after = open(j, [0], 0);
    j.submit(after, 0, [], { shard: 0, unitUpto: partial.unit, entries: 1, body: new Uint8Array([2]) });
    const dropped = t.throwsAsync(after.done, { instanceOf: JournalError });
    const ending = end === 'reset' ? j.reset() : j.close();
    clock.advance(5);
    await ending;
    await dropped;
    await before.done;
    await t.throwsAsync(partial.done, { instanceOf: JournalError });
    t.deepEqual(s.commits, [[-before.unit]], `${end}: only the snapshot from before the failed unit is written`);
  }
});

test('units that waited through a slow commit are flushed as soon as it ends, with no fresh delay', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  let release!: () => void;
  s.hold = new Promise((r) => (release = r));
  const a = open(j, [0], 1);
  j.submit(a, 0, [row(1)]);
  clock.advance(5);
  await settle();
  const b = open(j, [0], 1);
  j.submit(b, 0, [row(2)]);
  clock.advance(20);
  await settle();
  t.deepEqual(s.commits, [], 'the first commit is still on the disk');
  s.hold = undefined;
  release();
  await a.done;
  await b.done;
  t.deepEqual(s.commits, [[a.unit], [b.unit]], 'b had waited maxDelayMs already: no timer between the two commits');
});
