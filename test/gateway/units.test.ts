// The gateway's small parts on their own: token bucket, replay ring, filters, catch-up keyframes,
// close reasons, shortest-path results restricted to a view.
import test from 'ava';
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { CloseCode, closeReason } from '../../src/gateway/close-codes.ts';
import { Connection } from '../../src/gateway/connection.ts';
import { DEFAULT_LIMITS } from '../../src/gateway/limits.ts';
import { catchUpKeyframe } from '../../src/gateway/catch-up-keyframe.ts';
import { filterChange, filterFromWire, filterKey, selectIndices, type ClientFilter } from '../../src/gateway/filter.ts';
import type { ChangeScope, GraphMutation } from '../../src/gateway/ports.ts';
import { changeFromWire, deltaFromWire, deltaPayload, setPayload } from '../../src/gateway/settings-wire.ts';
import { ReplayBudget, ReplayRing } from '../../src/gateway/replay-ring.ts';
import { idMembership, sortedHas } from '../../src/gateway/sorted-ids.ts';
import { SsspResultWire } from '../../src/gateway/sssp-result-wire.ts';
import { resultInView } from '../../src/gateway/sssp-view.ts';
import { StreamGroup } from '../../src/gateway/stream-group.ts';
import { TokenBucket } from '../../src/shared/token-bucket.ts';
import {
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  JsonValueT,
  NodeKind,
  PositionFilterT,
  RemoveNodeT,
  PositionStreamEncoder,
  PositionStreamReader,
  SettingValue,
  SettingsSet,
  SettingsSetT,
  Vec3T,
  encodeEnvelope,
  unpackEnvelope,
  decodeEnvelope,
  type SettingsDeltaT,
} from '../../src/protocol/index.ts';
import { VirtualClock } from '../../src/shared/clock.ts';
import { snapshot } from './support.ts';

test('token bucket: a burst, then the refill rate', (t) => {
  let now = 0;
  const b = new TokenBucket(10, 3, () => now);
  t.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
  now = 100;
  t.deepEqual([b.take(), b.take()], [true, false]);
  now = 10_000;
  t.deepEqual([b.take(3), b.take()], [true, false]);
  t.false(b.take(4));
});

test('replay ring: what came after a seq, or undefined when some is gone', (t) => {
  const r = new ReplayRing(3, 1_000);
  for (let s = 1; s <= 5; s++) r.push(s, new Uint8Array([s]));
  t.is(r.size, 3);
  t.deepEqual(
    r.after(2, 6)?.map((b) => b[0]),
    [3, 4, 5],
  );
  t.deepEqual(
    r.after(4, 6)?.map((b) => b[0]),
    [5],
  );
  t.deepEqual(r.after(5, 6), []);
  t.is(r.after(1, 6), undefined);
  t.is(r.after(6, 6), undefined);
  const bytes = new ReplayRing(100, 10);
  for (let s = 1; s <= 4; s++) bytes.push(s, new Uint8Array(4));
  t.is(bytes.size, 2);
  t.is(bytes.bytes, 8);
});

test('replay rings share a budget: the ring that pushes past it drops its own oldest; a released ring gives its bytes back', (t) => {
  const budget = new ReplayBudget(250);
  const a = new ReplayRing(100, 1_000, budget);
  const b = new ReplayRing(100, 1_000, budget);
  for (let s = 1; s <= 3; s++) a.push(s, new Uint8Array(100));
  t.is(a.size, 2, 'a kept what fits the budget');
  t.is(budget.held, 200);
  b.push(1, new Uint8Array(40));
  t.is(budget.held, 240);
  a.push(4, new Uint8Array(100));
  t.deepEqual([a.size, b.size, budget.held], [2, 1, 240], 'a, the pusher, gave up its oldest, not b');
  t.is(a.after(1, 5), undefined, 'what a dropped cannot be replayed');
  t.is(a.after(2, 5)?.length, 2);
  a.release();
  t.deepEqual([a.size, budget.held], [0, 40]);
  b.release();
  t.is(budget.held, 0);
});

test('filters: from the wire, canonical key, selection', (t) => {
  const f = filterFromWire(
    new PositionFilterT([NodeKind.Concept, NodeKind.File, NodeKind.File], 3, new Vec3T(0, 0, 0), new Vec3T(100, 200, 300)),
  );
  if (!f.ok) return t.fail(f.error);
  t.is(filterKey(f.filter), 'k=4,5;n=3;r=0,0,0,100,200,300');
  t.deepEqual([...selectIndices(f.filter, snapshot(100))!], [4, 5, 11]);
  t.is(selectIndices({}, snapshot(10)), null);
  t.is(selectIndices({ maxNodes: 50 }, snapshot(10)), null);
  // Absent, empty kinds and max_nodes 0 all mean "no limit".
  for (const none of [null, new PositionFilterT(), new PositionFilterT([], 0)]) {
    const r = filterFromWire(none);
    t.true(r.ok && filterKey(r.filter) === 'k=*;n=*;r=*');
  }
  const bad: [PositionFilterT, RegExp][] = [
    [new PositionFilterT([9 as NodeKind]), /unknown node kind 9/],
    [new PositionFilterT([], 16_777_217), /max_nodes/],
    [new PositionFilterT([], 1.5), /max_nodes/],
    [new PositionFilterT([], 0, new Vec3T(0, 0, 0), null), /come together/],
    [new PositionFilterT([], 0, null, new Vec3T(0, 0, 0)), /come together/],
    [new PositionFilterT([], 0, new Vec3T(5, 0, 0), new Vec3T(1, 1, 1)), /above/],
    [new PositionFilterT([], 0, new Vec3T(0, 0, 2), new Vec3T(1, 1, 1)), /above/],
    [new PositionFilterT([], 0, new Vec3T(NaN, 0, 0), new Vec3T(1, 1, 1)), /finite/],
    [new PositionFilterT([], 0, new Vec3T(0, 0, 0), new Vec3T(1, Infinity, 1)), /finite/],
  ];
  for (const [wire, reason] of bad) {
    const r = filterFromWire(wire);
    t.regex(r.ok ? 'accepted' : r.error, reason);
  }
});

test('graph changes through a client filter: kinds, the selection, edges by both ends, new nodes by kind', (t) => {
  // Op k removes node 100 + k (the op itself does not matter to the filter; its scope does).
  const op = (k: number) => new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(100 + k));
  const scopes: ChangeScope[] = [
    { ids: [1], kinds: [NodeKind.File], adds: false }, // File, selected
    { ids: [2], kinds: [NodeKind.Agent], adds: false }, // wrong kind
    { ids: [3], kinds: [NodeKind.File], adds: false }, // File, not selected
    { ids: [1, 4], kinds: [NodeKind.File, NodeKind.Concept], adds: false }, // an edge, both ends in view
    { ids: [1, 3], kinds: [NodeKind.File, NodeKind.File], adds: false }, // an edge with one end out of the selection
    { ids: [9], kinds: [NodeKind.Concept], adds: true }, // a new node: by kind alone
    { ids: [], kinds: [], adds: false }, // nodes the topology did not know
    { ids: [5], kinds: [-1], adds: false },
    { ids: [4], kinds: [NodeKind.Agent], adds: false, formerKind: NodeKind.Concept }, // was a kept kind: the client must hear
  ];
  const change: GraphMutation = { kind: 'batch', batch: new GraphBatchT(scopes.map((_, k) => op(k))) };
  const selected = new Set([1, 4, 5]);
  const inView = (id: number) => selected.has(id);
  const kept = (m: GraphMutation | null) =>
    m === null ? null : (m.kind === 'update' ? [m.update] : m.batch.updates).map((u) => (u.op as RemoveNodeT).id - 100);

  const kindsAndCount: ClientFilter = { kinds: new Set([NodeKind.File, NodeKind.Concept]), maxNodes: 3 };
  t.deepEqual(kept(filterChange(change, scopes, kindsAndCount, inView)), [0, 3, 5, 8]);
  t.deepEqual(
    kept(filterChange(change, scopes, { kinds: new Set([NodeKind.File, NodeKind.Concept]) }, inView)),
    [0, 2, 3, 4, 5, 8],
    'no selection test without a region or count',
  );
  t.deepEqual(kept(filterChange(change, scopes, { region: [0, 0, 0, 1, 1, 1] }, inView)), [0, 3, 5, 7, 8]);
  t.deepEqual(
    kept(filterChange(change, scopes, { maxNodes: 5 }, () => undefined)),
    [0, 1, 2, 3, 4, 5, 7, 8],
    'a selection not known yet keeps all but the unknown',
  );
  t.is(filterChange(change, scopes, {}, inView), change, 'no filter: the change as it came');
  const single: GraphMutation = { kind: 'update', update: op(0) };
  t.is(filterChange(single, [scopes[0]!], kindsAndCount, inView), single, 'all kept: the same change');
  t.is(filterChange(single, [scopes[1]!], kindsAndCount, inView), null, 'none kept: nothing to send');
  const agents = filterChange(change, scopes, { kinds: new Set([NodeKind.Agent]) }, inView);
  t.deepEqual(kept(agents), [1, 8], 'the node that became an Agent concerns an Agent view too');
  const one = filterChange(change, scopes, { kinds: new Set([NodeKind.User]) }, inView);
  t.is(one, null);
  const task = filterChange(
    change,
    scopes.map((s, k) => (k === 1 ? { ...s, kinds: [NodeKind.User] } : s)),
    { kinds: new Set([NodeKind.User]) },
    inView,
  );
  t.deepEqual([task?.kind, kept(task)], ['update', [1]], 'one op kept: a single update, not a batch');
});

test('a stream group answers whether its current id table holds a node', (t) => {
  const group = new StreamGroup(
    {
      key: 'k',
      filter: { kinds: new Set([NodeKind.Task]), region: [0, 0, -1000, 300, 600, 1000] },
      velocity: false,
      rateHz: 0,
      minHighWaterBytes: 1 << 16,
      regionRefreshMs: 1000,
    },
    { framesSent: 0, framesDropped: 0, catchUps: 0 },
  );
  t.is(group.selects(1002), undefined, 'no table yet');
  group.encodeTick(snapshot(400), 0); // Task is i % 7 == 2, and x = i <= 300: ids 1002, 1009, ..., 1296
  const selected = Array.from({ length: 400 }, (_, i) => 1000 + i).filter((id) => group.selects(id));
  t.deepEqual(
    selected,
    Array.from({ length: 43 }, (_, k) => 1002 + 7 * k),
  );
  t.false(group.selects(0));
  t.false(group.selects(1303), 'a Task outside the region');
  t.false(group.selects(2 ** 32 - 1));
});

test('settings on the wire: if_version maps to ifVersion (-1: none), deltas carry version and wall time', (t) => {
  const fromWire = (set: SettingsSetT) => {
    const env = decodeEnvelope(encodeEnvelope({ seq: 1, payload: set }));
    if (!env.ok) throw new Error(env.error.message);
    return changeFromWire(env.value.payload(new SettingsSet()) as SettingsSet);
  };
  t.deepEqual(fromWire(setPayload({ path: 'ui.theme', value: 'light' })), { ok: true, change: { path: 'ui.theme', value: 'light' } });
  t.deepEqual(fromWire(setPayload({ path: 'a.b', value: 0.5, ifVersion: 0 })), {
    ok: true,
    change: { path: 'a.b', value: 0.5, ifVersion: 0 },
  });
  t.deepEqual(fromWire(setPayload({ path: 'a.c', value: true, ifVersion: 2 ** 40 })), {
    ok: true,
    change: { path: 'a.c', value: true, ifVersion: 2 ** 40 },
  });
  t.false(fromWire(new SettingsSetT('a.d', SettingValue.JsonValue, new JsonValueT('[]'))).ok);

  const delta = {
    path: 'physics.damping',
    old: 0.9,
    new: 0.5,
    timestamp: { wallMs: 1_700_000_000_123, logical: 4, node: 7 },
    client: 's-1',
    version: 2 ** 33 + 1,
  };
  const wire = deltaPayload(delta);
  t.is(wire.version, BigInt(2 ** 33 + 1));
  t.is(wire.timestamp?.wallMs, 1_700_000_000_123n);
  t.is(wire.timestamp?.logical, 4);
  t.is(wire.timestamp?.node, 7);
  const back = unpackEnvelope(encodeEnvelope({ seq: 1, payload: wire }));
  if (!back.ok) return t.fail(back.error.message);
  t.deepEqual(deltaFromWire(back.value.payload as SettingsDeltaT), delta);
  t.deepEqual(deltaFromWire(deltaPayload({ ...delta, old: null, new: 'x' })), { ...delta, old: null, new: 'x' });
});

test('a catch-up keyframe carries the stream’s seq and lets the next shared delta apply', (t) => {
  const enc = new PositionStreamEncoder();
  const shared = new PositionStreamReader();
  shared.setIdTable(1, 300);
  let last: Uint8Array | null = null;
  for (let k = 0; k < 5; k++) {
    last = enc.encode({ epoch: 1, positions: snapshot(300, k * 2).positions });
    shared.accept(last!);
  }
  const late = new PositionStreamReader();
  late.setIdTable(1, 300);
  const kf = catchUpKeyframe(shared.lastAppliedSeq, 1, enc.reconstructed, null);
  const r = late.accept(kf);
  t.true(r.ok && r.value.status === 'applied');
  const next = enc.encode({ epoch: 1, positions: snapshot(300, 20).positions })!;
  const a = late.accept(next);
  t.true(a.ok && a.value.status === 'applied');
  shared.accept(next);
  for (let i = 0; i < 900; i++) t.true(Math.abs(late.positions[i]! - shared.positions[i]!) < 0.05);
});

test('close reasons are cut to the 123 bytes a close frame holds, on a character boundary', (t) => {
  t.is(closeReason('short'), 'short');
  const long = closeReason('é'.repeat(100));
  t.true(Buffer.byteLength(long) <= 123);
  t.true(long.endsWith('...'));
});

test('a shortest-path result in a view: exactly the entries whose node is in it, in order, made once per result and view', (t) => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
      (reached, viewIds) => {
        const result = new SsspResultWire(
          reached[0] ?? 0,
          Uint32Array.from(reached),
          Float32Array.from(reached, (id) => id / 2),
          Uint32Array.from(reached, (id) => (id * 7) % 61),
          true,
        );
        const view = Uint32Array.from(viewIds).sort();
        const inView = resultInView(result, view);
        const keep = reached.map((id) => viewIds.includes(id));
        t.deepEqual(
          [...inView.nodes],
          reached.filter((_, i) => keep[i]),
        );
        t.deepEqual(
          [...inView.distances],
          [...result.distances].filter((_, i) => keep[i]),
        );
        t.deepEqual(
          [...inView.parents],
          [...result.parents].filter((_, i) => keep[i]),
        );
        t.is(inView.complete, true);
        t.is(resultInView(result, view), inView, 'a second client of the same view shares it');
        if (keep.every(Boolean)) t.is(inView, result, 'nothing to drop: the result itself');
        const has = idMembership(view);
        for (const id of [...reached, ...viewIds, 61, 1e9]) {
          t.is(sortedHas(view, id), viewIds.includes(id));
          t.is(has(id), viewIds.includes(id));
        }
      },
    ),
  );
});

test('id membership for many lookups: a bitset where the ids are dense enough, the binary search where they are sparse', (t) => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 30 }),
      (ids, probes) => {
        // Ids anywhere in the u32 range: mostly too sparse for a bitset within budget.
        const view = Uint32Array.from(ids).sort();
        const has = idMembership(view);
        for (const id of [...ids, ...probes]) t.is(has(id), ids.includes(id));
      },
    ),
  );
  const dense = Uint32Array.from({ length: 1000 }, (_, i) => 3 * i).sort();
  const has = idMembership(dense);
  t.deepEqual([0, 1, 2, 3, 2997, 2998, 2999, 3000, 1e6].map(has), [true, false, false, true, true, false, false, false, false]);
});

/** A socket whose unsent bytes the test decides; it keeps each send's flush callback. */
class BufferingSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: { bytes: number; fin: boolean; flushed: (() => void) | undefined }[] = [];
  closedWith: number | undefined;
  send(data: Uint8Array, options: { fin?: boolean }, flushed?: () => void): void {
    this.bufferedAmount += data.byteLength;
    this.sent.push({ bytes: data.byteLength, fin: options.fin ?? true, flushed });
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = this.CLOSING;
  }
  terminate(): void {}
  ping(): void {}
}

test('a bulk control message does not count as falling behind while it is flushed; small ones piling up do', (t) => {
  const ws = new BufferingSocket();
  const limits = { ...DEFAULT_LIMITS, maxBufferedBytes: 8 << 20 };
  const conn = new Connection(ws as unknown as WebSocket, { remote: 'test' }, limits, new VirtualClock(), {
    path: '/t',
    tell: () => undefined,
  });
  // A 12 MB shortest-path result as a head and a shared body: one message, two fragments.
  conn.sendControl([new Uint8Array(100), new Uint8Array(12 << 20)]);
  t.deepEqual(
    ws.sent.map((s) => s.fin),
    [false, true],
  );
  // The settings delta right behind it goes out: 12 MB are buffered, all of them the bulk message.
  conn.sendControl(new Uint8Array(120));
  t.is(ws.closedWith, undefined);
  t.is(ws.sent.length, 3);
  // The bulk message is flushed to the kernel; then small messages pile up past the limit.
  ws.sent[1]!.flushed!();
  ws.bufferedAmount = (8 << 20) + 1;
  conn.sendControl(new Uint8Array(120));
  t.is(ws.closedWith, CloseCode.PolicyViolation, 'more than 8 MiB of small messages unread: too far behind');
});
