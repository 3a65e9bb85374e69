// Group commit on the virtual clock with a scripted database: a flush starts at `maxBatchEvents`
// or `maxDelayMs` after the first ready unit, whichever comes first; units commit whole, a unit
// spanning shards waits for every part, and a unit waits for (and fails with) the units it builds
// on but for nothing else; acks come after COMMIT; the queue is bounded; a failed commit is settled
// from what the store holds once the writer's connection is back.
import test from 'ava';
import { VirtualClock } from '../../src/shared/clock.ts';
import { GroupCommitJournal, JournalError, Ticket } from '../../src/storage/group-commit.ts';
import type { SqlClient, SqlQueryable, SqlRow } from '../../src/storage/sql.ts';

interface Scripted {
  readonly db: SqlClient;
  /** Units of each committed transaction, in order. */
  readonly commits: number[][];
  failNext: boolean;
  /** The failing commit reaches the disk all the same (the connection broke after COMMIT). */
  failAfterCommit: boolean;
  /** Writer connections opened so far. */
  sessions: number;
  /** Holds every COMMIT until released. */
  hold: Promise<void> | undefined;
}

function scriptedDb(): Scripted {
  let maxSeq = 0;
  const s: Scripted = {
    commits: [],
    failNext: false,
    failAfterCommit: false,
    sessions: 0,
    hold: undefined,
    db: undefined as unknown as SqlClient,
  };
  const units = (literal: unknown): number[] => {
    const body = (literal as string).slice(1, -1);
    return body === '' ? [] : body.split(',').map(Number);
  };
  const tx: SqlQueryable = {
    async query<R extends SqlRow>(text: string, params?: readonly unknown[]): Promise<R[]> {
      if (text.startsWith('SELECT max(seq)')) return [{ seq: maxSeq }] as unknown as R[];
      if (text.startsWith('SELECT max')) return [{}] as R[];
      // A group commit is one statement (its own transaction): events' units, then snapshots' (negated).
      if (text.startsWith('WITH events AS')) {
        const current = [...units(params![1]), ...units(params![10]).map((u) => -u)];
        if (s.hold !== undefined) await s.hold;
        if (s.failNext) {
          s.failNext = false;
          if (s.failAfterCommit) {
            s.commits.push([...new Set(current)]);
            maxSeq = Math.max(maxSeq, ...units(params![0]));
          }
          throw new Error('disk on fire');
        }
        s.commits.push([...new Set(current)]);
        maxSeq = Math.max(maxSeq, ...units(params![0]));
      }
      return [] as R[];
    },
    exec: async () => undefined,
  };
  (s as { db: SqlClient }).db = {
    kind: 'pglite',
    ...tx,
    transaction: <T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T> => fn(tx),
    writerSession: async () => {
      s.sessions++;
      return { ...tx, close: async () => undefined };
    },
    close: async () => undefined,
  };
  return s;
}

const row = (n: number) => ({ kind: 1, entity: n, payload: new Uint8Array([n]) });
const settle = () => new Promise<void>((r) => setImmediate(r));

async function journal(s: Scripted, clock: VirtualClock, o: Partial<GroupCommitJournal['options']> = {}) {
  return GroupCommitJournal.open(
    s.db,
    clock,
    { maxBatchEvents: 3, maxDelayMs: 5, maxQueuedEvents: 10, partTimeoutMs: 1_000, ...o },
    () => 1_000 + clock.now(),
  );
}

function open(j: GroupCommitJournal, shards: number[], events: number, after: Ticket[] = []): Ticket {
  const t = j.open(shards, events, after);
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

test('a unit spanning shards commits whole; a later unit that builds on it waits for it, one with nothing in common does not', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const both = open(j, [0, 1], 2);
  const onTop = open(j, [0], 1, [both]);
  const apart = open(j, [0], 1);
  j.submit(both, 0, [row(1)]);
  j.submit(onTop, 0, [row(2)]);
  j.submit(apart, 0, [row(3)]);
  clock.advance(50);
  await settle();
  t.deepEqual(s.commits, [[apart.unit]], 'shard 1 has not submitted its part: only the unrelated unit commits');
  j.submit(both, 1, [row(4)]);
  clock.advance(5);
  await settle();
  t.deepEqual(s.commits, [[apart.unit], [both.unit, onTop.unit]], 'the unit that builds on it goes in the same transaction, after it');
  t.true((await onTop.done).seq! > (await both.done).seq!, 'seq follows commit order');
});

test('a part that never comes fails its unit and the units built on it, naming the shard; the rest commits and the journal stays usable', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const stuck = open(j, [0, 1], 2);
  const onTop = open(j, [0], 1, [stuck]);
  const apart = open(j, [0], 1);
  j.submit(stuck, 0, [row(1)]);
  j.submit(onTop, 0, [row(2)]);
  j.submit(apart, 0, [row(3)]);
  const e1 = t.throwsAsync(stuck.done, { instanceOf: JournalError });
  const e2 = t.throwsAsync(onTop.done, { instanceOf: JournalError });
  clock.advance(1_000);
  await settle();
  t.like(await e1, { reason: 'part-timeout', shards: [1] });
  t.regex((await e1)!.message, /shard 1 did not submit its part/);
  t.like(await e2, { reason: 'aborted', shards: [1] });
  await apart.done;
  t.deepEqual(s.commits, [[apart.unit]]);
  const next = open(j, [0], 1);
  j.submit(next, 0, [row(4)]);
  clock.advance(5);
  await next.done;
  t.false(j.open([0], 1, [stuck]) instanceof Ticket, 'a unit built on a failed one is refused');
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

test('a failed commit is in doubt until the store answers: not there, its units and those built on them fail; there, they are acknowledged', async (t) => {
  for (const reached of [false, true]) {
    const s = scriptedDb();
    const clock = new VirtualClock();
    const j = await journal(s, clock, { maxBatchEvents: 1 });
    s.failNext = true;
    s.failAfterCommit = reached;
    let release!: () => void;
    s.hold = new Promise((r) => (release = r));
    const a = open(j, [0], 1);
    j.submit(a, 0, [row(1)]);
    await settle();
    const b = open(j, [0], 1, [a]);
    j.submit(b, 0, [row(2)]);
    s.hold = undefined;
    release();
    if (reached) {
      await a.done;
      await b.done;
      t.deepEqual(s.commits, [[a.unit], [b.unit]], 'the commit that reached the disk counts, and the next one follows it');
    } else {
      await t.throwsAsync(a.done, { message: /disk on fire/ });
      await t.throwsAsync(b.done, { instanceOf: JournalError, message: /builds on/ });
      t.deepEqual(s.commits, []);
    }
    t.is(s.sessions, 2, 'one new writer connection, opened by the journal itself');
    t.is(j.stats().problem, undefined);
    const c = open(j, [0], 1);
    j.submit(c, 0, [row(3)]);
    await c.done;
    t.deepEqual(s.commits.at(-1), [c.unit]);
  }
});

test('a shard that restarts fails the units still waiting for its part, and those built on them; complete units commit', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const complete = open(j, [0], 1);
  j.submit(complete, 0, [row(1)]);
  const partial = open(j, [0, 1], 2);
  j.submit(partial, 0, [row(2)]);
  const onTop = open(j, [0], 1, [partial]);
  j.submit(onTop, 0, [row(3)]);
  const gone = t.throwsAsync(partial.done, { instanceOf: JournalError, message: /shard 1 restarted/ });
  const goneToo = t.throwsAsync(onTop.done, { instanceOf: JournalError });
  j.failWaitingFor(1, 'restarted');
  clock.advance(5);
  await gone;
  await goneToo;
  await complete.done;
  t.deepEqual(s.commits, [[complete.unit]]);
  t.false(j.submit(partial, 1, [row(3)]), 'a late part of a failed unit is refused');
});

test('a snapshot built on units still waiting commits after them, fails with them, and close keeps earlier snapshots', async (t) => {
  const s = scriptedDb();
  const clock = new VirtualClock();
  const j = await journal(s, clock);
  const before = open(j, [1], 0);
  j.submit(before, 1, [], { shard: 1, unitUpto: before.unit - 1, entries: 0, body: new Uint8Array([1]) });
  const partial = open(j, [0, 1], 2);
  j.submit(partial, 0, [row(2)]);
  // Shard 0 applied its part of `partial`, then snapshotted: the snapshot holds that part.
  const after = open(j, [0], 0, [partial]);
  j.submit(after, 0, [], { shard: 0, unitUpto: partial.unit, entries: 1, body: new Uint8Array([2]) });
  const dropped = t.throwsAsync(after.done, { instanceOf: JournalError });
  const ending = j.close();
  clock.advance(5);
  await ending;
  await dropped;
  await before.done;
  await t.throwsAsync(partial.done, { instanceOf: JournalError });
  t.deepEqual(s.commits, [[-before.unit]], 'only the snapshot from before the failed unit is written');
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
