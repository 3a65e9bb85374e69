// The position fan-out in slices: a tick encodes once per group, deliver() hands the frame to a
// bounded number of sockets at a time, members that leave meanwhile are skipped, one that joins
// is brought in by its catch-up keyframe, and the next tick finishes the previous fan-out first so
// that no member ever misses a delta it needs; the gateway's low-priority child runs the slices
// after the waiting normal work.
import test from 'ava';
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { FANOUT_SCHEDULING, positionFanout } from '../../src/actors/position-fanout.ts';
import { Connection } from '../../src/gateway/connection.ts';
import { DEFAULT_LIMITS } from '../../src/gateway/limits.ts';
import { PositionHub } from '../../src/gateway/position-hub.ts';
import { PositionStreamReader, decodeFrame, isPositionFrame } from '../../src/protocol/index.ts';
import { VirtualClock } from '../../src/shared/clock.ts';
import { testSystem } from '../helpers/system.ts';
import { snapshot } from './support.ts';

/** A socket that never blocks and keeps what it was sent. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  frames(): Uint8Array[] {
    return this.sent.filter((b) => isPositionFrame(b));
  }
  ping(): void {}
  close(): void {}
  terminate(): void {}
}

function setup(members: number) {
  const clock = new VirtualClock();
  const hub = new PositionHub({ minHighWaterBytes: 1 << 16, regionRefreshMs: 1_000, onDemand: () => undefined }, () => clock.now());
  const sockets: FakeSocket[] = [];
  const join = (i: number): FakeSocket => {
    const ws = new FakeSocket();
    const conn = new Connection(ws as unknown as WebSocket, { remote: `fake-${i}` }, DEFAULT_LIMITS, clock, {
      path: '/t',
      tell: () => undefined,
    });
    hub.join({ session: `s${i}`, conn, filter: {}, velocity: false, rateHz: 0 });
    return ws;
  };
  for (let i = 0; i < members; i++) sockets.push(join(i));
  return { clock, hub, sockets, join };
}

/** Replays every frame a socket got through a reader; throws if one does not apply. */
function replays(ws: FakeSocket, n: number): PositionStreamReader {
  const reader = new PositionStreamReader();
  reader.setIdTable(1, n);
  for (const f of ws.frames()) {
    const r = reader.accept(f);
    if (!r.ok || r.value.status !== 'applied') throw new Error(`frame not applied: ${r.ok ? r.value.status : r.error.message}`);
  }
  return reader;
}

test('a tick reaches the members slice by slice, every member exactly once', (t) => {
  const { hub, sockets } = setup(100);
  hub.tick(snapshot(50));
  t.is(hub.pendingCount, 100);
  t.true(hub.deliver(32));
  t.is(sockets.filter((s) => s.frames().length === 1).length, 32);
  t.true(hub.deliver(32));
  t.true(hub.deliver(32));
  t.false(hub.deliver(32));
  t.is(hub.pendingCount, 0);
  t.true(sockets.every((s) => s.frames().length === 1));
  t.false(hub.deliver(32), 'nothing left');
});

test('the next tick finishes the last fan-out first: nobody misses a delta', (t) => {
  const { hub, sockets, clock } = setup(40);
  for (let k = 0; k < 6; k++) {
    clock.advance(20);
    hub.tick(snapshot(50, 5 * k));
    hub.deliver(7); // only a slice before the next tick comes
  }
  hub.flush();
  for (const ws of sockets) {
    t.is(ws.frames().length, 6);
    const reader = replays(ws, 50);
    t.is(reader.positions[3 * 49], 49 + 25, 'the last frame applied on top of all the others');
  }
});

test('a member that leaves mid fan-out gets nothing more; one that joins gets a catch-up keyframe', (t) => {
  const { hub, sockets, join, clock } = setup(10);
  hub.tick(snapshot(20));
  hub.flush();
  clock.advance(20);
  hub.tick(snapshot(20, 3));
  hub.deliver(2);
  hub.leave('s9');
  const late = join(10);
  hub.flush();
  t.is(sockets[9]!.frames().length, 1, 'the leaver got the first frame only');
  t.is(late.frames().length, 1);
  const first = decodeFrame(late.frames()[0]!);
  t.true(first.ok && first.value.kind === 'keyframe');
  t.is(replays(late, 20).positions[0], 3);
  for (const ws of sockets.slice(0, 9)) t.is(replays(ws, 20).positions[0], 3);
});

test('the fan-out child: the rest of a tick goes out after the waiting normal work, every member once', async (t) => {
  const { hub, sockets } = setup(200);
  const ts = testSystem(t);
  const fanout = ts.system.spawn(positionFanout(hub, 10), { name: 'fanout', ...FANOUT_SCHEDULING });
  // A busy normal-priority actor (a session, say): five messages in a row, noting what is still to send.
  const seen: number[] = [];
  const busy = ts.system.spawn<number>(
    (ctx) => ({
      receive(n) {
        seen.push(hub.pendingCount);
        if (n > 1) ctx.self.tell(n - 1);
      },
    }),
    { name: 'busy' },
  );
  hub.tick(snapshot(50));
  t.true(hub.deliver(10), 'the gateway hands out the first slice itself');
  fanout.tell({ type: 'kick' });
  fanout.tell({ type: 'kick' }); // a second kick while the chain runs: still once each
  busy.tell(5);
  await ts.system.settled();
  t.deepEqual(seen, [190, 190, 190, 190, 190], 'no slice ran while the normal actor had work');
  t.is(hub.pendingCount, 0);
  t.deepEqual(
    sockets.map((s) => s.frames().length),
    sockets.map(() => 1),
    'every member got the frame exactly once',
  );
});
