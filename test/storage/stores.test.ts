// The same migrations and SQL on PostgreSQL and PGlite; the durable permanent-failure sink; the
// settings-delta table; event and snapshot codecs round-trip, and damaged bytes are errors.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { decodeEvent, encodeEvent, eventKind } from '../../src/graph/event-codec.ts';
import type { GraphEvent } from '../../src/graph/events.ts';
import { replayTo } from '../../src/graph/replay.ts';
import { ShardState } from '../../src/graph/shard-state.ts';
import { decodeSnapshotInto, encodeSnapshot } from '../../src/graph/snapshot-codec.ts';
import { RealClock } from '../../src/shared/clock.ts';
import { GroupCommitJournal, JournalError } from '../../src/storage/group-commit.ts';
import { appendGroup, latestSnapshot, type EventRow } from '../../src/storage/journal-store.ts';
import type { Store } from '../../src/storage/open-store.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { memoryPgliteStore, pgStore } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';

async function exercise(t: ExecutionContext, store: Store): Promise<void> {
  t.deepEqual(await migrate(store.db), [], 'migrations are recorded and not applied twice');
  await store.failures.record({
    letter: {
      recipient: '/app/x',
      message: { kind: 'hello', n: 1n, self: { path: '/app/y', tell: () => undefined } },
      sender: undefined,
      reason: 'mailbox-full',
      time: 5,
      correlationId: undefined,
    },
    attempts: 5,
    lastResult: 'mailbox-full',
    time: 10,
  });
  await store.failures.record({
    letter: {
      recipient: '/app/z',
      message: new Uint8Array([1, 2, 3]),
      sender: '/app/s',
      reason: 'recipient-unknown',
      time: 6,
      correlationId: 9,
    },
    attempts: 1,
    lastResult: 'recipient-unknown',
    time: 11,
  });
  const failures = await store.failures.list();
  t.is(failures.length, 2);
  t.is(failures[0]!.messageText, '{"kind":"hello","n":"1","self":{"$ref":"/app/y"}}');
  t.deepEqual([...failures[1]!.messageBytes!], [1, 2, 3]);

  const stamp = { wallMs: 1_700_000_000_000, logical: 2, node: 3 };
  await store.settings.append({
    path: 'visualisation.nodes.size',
    oldValue: 1,
    newValue: 2.5,
    timestamp: stamp,
    client: 'alice',
    version: 7,
  });
  await store.settings.append({
    path: 'visualisation.edges.color',
    newValue: { kind: 'json', json: '["#fff"]' },
    timestamp: stamp,
    client: 'bob',
  });
  await store.settings.append({ path: 'physics.enabled', oldValue: true, newValue: false, timestamp: stamp, client: 'bob' });
  const vis = await store.settings.list({ pathPrefix: 'visualisation' });
  t.deepEqual(
    vis.map((d) => [d.path, d.oldValue, d.newValue, d.client]),
    [
      ['visualisation.nodes.size', 1, 2.5, 'alice'],
      ['visualisation.edges.color', undefined, { kind: 'json', json: '["#fff"]' }, 'bob'],
    ],
  );
  t.is(vis[0]!.version, 7);
  await t.throwsAsync(store.settings.append({ path: '../etc', newValue: 1, timestamp: stamp, client: 'x' }), { instanceOf: RangeError });
  const g = await startGraph(store, { shards: 2 }, t);
  const ack = await g.update({
    op: 'batch',
    ops: [
      { op: 'add-node', node: { id: 1 } },
      { op: 'add-node', node: { id: 2 } },
      { op: 'add-edge', edge: { id: 5, source: 1, target: 2 } },
    ],
  });
  t.true(ack.ok);
  await g.stop();
  const view = await replayTo(store.db);
  t.is(view.nodes.size, 2);
  t.is(view.edges.size, 1);
}

test('PostgreSQL: migrations, failure sink, settings deltas, graph journal', async (t) => {
  await exercise(t, await pgStore(t));
});

test('PGlite: the same, with the same SQL', async (t) => {
  const store = await memoryPgliteStore();
  t.teardown(() => store.close());
  await exercise(t, store);
});

// A group commit is one statement (events in a CTE, snapshots in the outer INSERT): it must land
// whole, with payload and body bytes intact, or not at all.
async function groupCommitIsOneAtomicStatement(t: ExecutionContext, store: Store): Promise<void> {
  const ev = (seq: number, bytes: number[]): EventRow => ({
    seq,
    unit: seq,
    shard: seq % 2,
    kind: 3,
    entity: seq * 10,
    atMs: 1_000 + seq,
    payload: new Uint8Array(bytes),
  });
  await appendGroup(
    store.db,
    [ev(1, [1, 2, 3]), ev(2, []), ev(3, [255])],
    [{ shard: 1, unit: 4, unitUpto: 3, atMs: 1_004, entries: 2, body: new Uint8Array([9, 8, 7, 6]) }],
  );
  const rows = await store.db.query<{ seq: unknown; entity: unknown; payload: unknown }>(
    'SELECT seq, entity, payload FROM graph_events ORDER BY seq',
  );
  t.deepEqual(
    rows.map((r) => [Number(r.seq), Number(r.entity), [...(r.payload as Uint8Array)]]),
    [
      [1, 10, [1, 2, 3]],
      [2, 20, []],
      [3, 30, [255]],
    ],
  );
  const snap = await latestSnapshot(store.db, 1);
  t.deepEqual([snap?.unit, snap?.unitUpto, snap?.entries, [...(snap?.body ?? [])]], [4, 3, 2, [9, 8, 7, 6]]);
  // The snapshot collides with (shard 1, unit 4): the statement fails and its events are not there.
  await t.throwsAsync(
    appendGroup(
      store.db,
      [ev(5, [5]), ev(6, [6])],
      [{ shard: 1, unit: 4, unitUpto: 6, atMs: 1_006, entries: 0, body: new Uint8Array([1]) }],
    ),
  );
  const after = await store.db.query<{ n: unknown }>('SELECT count(*) AS n FROM graph_events WHERE seq >= 5');
  t.is(Number(after[0]!.n), 0, 'nothing of a failed group is half-applied');

  // Through a journal (opened now: it numbers after what is written): a unit with events and a
  // snapshot part is acknowledged after both landed. The store's own journal lets go of the
  // writer lock first: one writer per store.
  await store.journal.close();
  const journal = await GroupCommitJournal.open(store.db, new RealClock());
  const ticket = journal.open([0], 2);
  if (ticket instanceof JournalError) throw ticket;
  t.true(
    journal.submit(ticket, 0, [{ kind: 3, entity: 77, payload: new Uint8Array([7]) }], {
      shard: 0,
      unitUpto: 3,
      entries: 1,
      body: new Uint8Array([4, 2]),
    }),
  );
  const info = await ticket.done;
  const s0 = await latestSnapshot(store.db, 0);
  t.deepEqual([s0?.unit, [...(s0?.body ?? [])]], [info.unit, [4, 2]]);
  const mine = await store.db.query<{ entity: unknown }>('SELECT entity FROM graph_events WHERE unit = $1', [info.unit]);
  t.deepEqual(
    mine.map((r) => Number(r.entity)),
    [77],
  );
  await journal.close();
}

test('PostgreSQL: a group commit is one atomic statement', async (t) => {
  await groupCommitIsOneAtomicStatement(t, await pgStore(t));
});

test('PGlite: a group commit is one atomic statement, with the same SQL', async (t) => {
  const store = await memoryPgliteStore();
  t.teardown(() => store.close());
  await groupCommitIsOneAtomicStatement(t, store);
});

const hlc = fc.record({ wallMs: fc.nat(2 ** 40), logical: fc.nat(1000), node: fc.nat(1000) });
const vec = fc.record({
  x: fc.float({ noNaN: true, noDefaultInfinity: true }),
  y: fc.float({ noNaN: true, noDefaultInfinity: true }),
  z: fc.float({ noNaN: true, noDefaultInfinity: true }),
});
const meta = fc
  .uniqueArray(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { selector: (e) => e[0], maxLength: 3 })
  .map((m) => m.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
const node = fc.record(
  {
    id: fc.nat(0xffffffff),
    kind: fc.constantFrom('knowledge' as const, 'concept' as const),
    title: fc.string({ maxLength: 20 }),
    position: vec,
    metadata: meta,
  },
  { requiredKeys: ['id', 'kind', 'metadata'] },
);
const edgeId = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) });
const event: fc.Arbitrary<GraphEvent> = fc.oneof(
  fc.record({ type: fc.constant('node-added' as const), stamp: hlc, node }),
  fc.record({ type: fc.constant('node-updated' as const), stamp: hlc, node }),
  fc.record({ type: fc.constant('node-moved' as const), stamp: hlc, id: fc.nat(0xffffffff), position: vec }),
  fc.record({ type: fc.constant('node-removed' as const), stamp: hlc, id: fc.nat(0xffffffff) }),
  fc.record({
    type: fc.constant('edge-created' as const),
    stamp: hlc,
    edge: fc.record({
      id: edgeId,
      source: fc.nat(0xffffffff),
      target: fc.nat(0xffffffff),
      weight: fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }),
      metadata: meta,
    }),
  }),
  fc.record({ type: fc.constant('edge-deleted' as const), stamp: hlc, id: edgeId }),
  fc.record({
    type: fc.constant('edge-weight-changed' as const),
    stamp: hlc,
    id: edgeId,
    weight: fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }),
  }),
);

test('events round-trip through their FlatBuffers bytes; damaged bytes are errors, never crashes', (t) => {
  fc.assert(
    fc.property(event, fc.nat(), fc.nat(255), (e, at, byte) => {
      const bytes = encodeEvent(e);
      const back = decodeEvent(eventKind(e), bytes);
      t.true(back.ok);
      if (back.ok) t.deepEqual(back.value, e);
      const damaged = bytes.slice();
      damaged[at % damaged.length] = byte;
      t.notThrows(() => decodeEvent(eventKind(e), damaged));
    }),
    { numRuns: 300 },
  );
  t.false(decodeEvent(99, new Uint8Array(16)).ok);
  t.false(decodeEvent(1, new Uint8Array(3)).ok);
});

test('a snapshot holds every register, tombstones included', (t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      const s = new ShardState();
      for (const e of events) s.apply(e);
      const back = new ShardState();
      const r = decodeSnapshotInto(encodeSnapshot(s), back);
      t.true(r.ok);
      t.deepEqual([...back.nodes.entries()], [...s.nodes.entries()]);
      t.deepEqual([...back.edges.entries()], [...s.edges.entries()]);
    }),
    { numRuns: 100 },
  );
  const junk = new Uint8Array(64).fill(7);
  t.false(decodeSnapshotInto(junk, new ShardState()).ok);
});
