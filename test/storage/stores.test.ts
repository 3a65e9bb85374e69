// The same migrations and SQL on PostgreSQL and PGlite; the durable permanent-failure sink; the
// settings-delta table; event and snapshot codecs round-trip, and damaged bytes are errors.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { decodeEvent, encodeEvent, eventKind } from '../../src/graph/event-codec.ts';
import type { GraphEvent } from '../../src/graph/events.ts';
import { replayTo } from '../../src/graph/replay.ts';
import { ShardState } from '../../src/graph/shard-state.ts';
import { decodeSnapshotInto, encodeSnapshot } from '../../src/graph/snapshot-codec.ts';
import type { Store } from '../../src/storage/open-store.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { memoryPgliteStore, pgStore } from '../fixtures/graph-store.ts';
import { startGraph } from '../fixtures/graph-system.ts';

async function exercise(t: ExecutionContext, store: Store): Promise<void> {
  t.deepEqual(await migrate(store.db), [], 'migrations are recorded and not applied twice');
  await store.failures.record({
    letter: { recipient: '/app/x', message: { kind: 'hello', n: 1n, self: { path: '/app/y', tell: () => undefined } }, sender: undefined, reason: 'mailbox-full', time: 5, correlationId: undefined },
    attempts: 5,
    lastResult: 'mailbox-full',
    time: 10,
  });
  await store.failures.record({
    letter: { recipient: '/app/z', message: new Uint8Array([1, 2, 3]), sender: '/app/s', reason: 'recipient-unknown', time: 6, correlationId: 9 },
    attempts: 1,
    lastResult: 'recipient-unknown',
    time: 11,
  });
  const failures = await store.failures.list();
  t.is(failures.length, 2);
  t.is(failures[0]!.messageText, '{"kind":"hello","n":"1","self":{"$ref":"/app/y"}}');
  t.deepEqual([...failures[1]!.messageBytes!], [1, 2, 3]);

  const stamp = { wallMs: 1_700_000_000_000, logical: 2, node: 3 };
  await store.settings.append({ path: 'visualisation.nodes.size', oldValue: 1, newValue: 2.5, timestamp: stamp, client: 'alice', version: 7 });
  await store.settings.append({ path: 'visualisation.edges.color', newValue: { kind: 'json', json: '["#fff"]' }, timestamp: stamp, client: 'bob' });
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
  const ack = await g.update({ op: 'batch', ops: [{ op: 'add-node', node: { id: 1 } }, { op: 'add-node', node: { id: 2 } }, { op: 'add-edge', edge: { id: 5, source: 1, target: 2 } }] });
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

const hlc = fc.record({ wallMs: fc.nat(2 ** 40), logical: fc.nat(1000), node: fc.nat(1000) });
const vec = fc.record({ x: fc.float({ noNaN: true, noDefaultInfinity: true }), y: fc.float({ noNaN: true, noDefaultInfinity: true }), z: fc.float({ noNaN: true, noDefaultInfinity: true }) });
const meta = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { selector: (e) => e[0], maxLength: 3 }).map((m) => m.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
const node = fc.record(
  { id: fc.nat(0xffffffff), kind: fc.constantFrom('knowledge' as const, 'concept' as const), title: fc.string({ maxLength: 20 }), position: vec, metadata: meta },
  { requiredKeys: ['id', 'kind', 'metadata'] },
);
const edgeId = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) });
const event: fc.Arbitrary<GraphEvent> = fc.oneof(
  fc.record({ type: fc.constant('node-added' as const), stamp: hlc, node }),
  fc.record({ type: fc.constant('node-updated' as const), stamp: hlc, node }),
  fc.record({ type: fc.constant('node-moved' as const), stamp: hlc, id: fc.nat(0xffffffff), position: vec }),
  fc.record({ type: fc.constant('node-removed' as const), stamp: hlc, id: fc.nat(0xffffffff) }),
  fc.record({ type: fc.constant('edge-created' as const), stamp: hlc, edge: fc.record({ id: edgeId, source: fc.nat(0xffffffff), target: fc.nat(0xffffffff), weight: fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }), metadata: meta }) }),
  fc.record({ type: fc.constant('edge-deleted' as const), stamp: hlc, id: edgeId }),
  fc.record({ type: fc.constant('edge-weight-changed' as const), stamp: hlc, id: edgeId, weight: fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }) }),
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
